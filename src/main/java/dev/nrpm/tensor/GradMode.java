package dev.nrpm.tensor;

/** Whether operations record the graph for backward on this thread (on by default). */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {
    }

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Turns recording off until the returned handle closes (evaluation, parameter updates). */
    public static Guard noGrad() {
        boolean[] flag = ENABLED.get();
        Guard g = new Guard(flag, flag[0]);
        flag[0] = false;
        return g;
    }

    /** Restores the previous mode on close. */
    public static final class Guard implements AutoCloseable {
        private final boolean[] flag;
        private final boolean previous;

        private Guard(boolean[] flag, boolean previous) {
            this.flag = flag;
            this.previous = previous;
        }

        @Override
        public void close() {
            flag[0] = previous;
        }
    }
}
