/**
 * The float64 reference backend: every primitive written the plainest way, NRPM materialized as in
 * NRPM.md section 5. It is the oracle the fast backends are tested against, and runs the
 * finite-difference gradient checks. Slow by design.
 */
package dev.nrpm.backend.reference;
