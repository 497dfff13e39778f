package dev.nrpm.eval;

/** Told after each batch of a long loop (progress bars); NONE ignores it. */
@FunctionalInterface
public interface BatchProgress {
    BatchProgress NONE = (done, total) -> { };

    void batchDone(int done, int total);
}
