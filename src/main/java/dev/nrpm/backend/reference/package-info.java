/**
 * The float64 reference backend: every primitive written the plainest way, NRPM materialized as in
 * NRPM.md section 5. It is the oracle the fast backends are tested against, and runs the
 * finite-difference gradient checks. Slow by design. One file per op family, as in the CPU
 * backend: ReferenceConv, ReferencePooling, ReferenceBatchNorm, ReferenceLoss, ReferenceNrpm;
 * ReferenceBackend holds memory, elementwise and per-channel ops, GEMM, randomness and the
 * optimizer step, and hands the rest to those.
 */
package dev.nrpm.backend.reference;
