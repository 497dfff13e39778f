/** The nrpm command line (picocli): demo, eval, reprogram, train, import, bench. */
package dev.nrpm.cli;
