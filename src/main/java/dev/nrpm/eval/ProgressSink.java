package dev.nrpm.eval;

/** Where an evaluation reports progress: one stage per attack member and budget, counted in samples. */
@FunctionalInterface
public interface ProgressSink {
    ProgressSink NONE = (task, total) -> Stage.NONE;

    Stage start(String task, long total);

    /** An old-style per-batch callback, told (done, total) in samples at every step. */
    static ProgressSink of(BatchProgress batches) {
        return (task, total) -> new Stage() {
            private long done;

            @Override
            public void step(long n) {
                done += n;
                batches.batchDone((int) done, (int) total);
            }

            @Override
            public void close() {
            }
        };
    }

    /** One stage: step as samples are done, close at the end. */
    interface Stage extends AutoCloseable {
        Stage NONE = new Stage() {
            @Override
            public void step(long n) {
            }

            @Override
            public void close() {
            }
        };

        void step(long n);

        @Override
        void close();
    }
}
