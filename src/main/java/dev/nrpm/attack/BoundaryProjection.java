package dev.nrpm.attack;

/**
 * FAB's projection: the smallest step d (L-inf or L2) that takes point t onto the hyperplane
 * {z : w.z = b} while t + d stays in the [0, 1] box. Where the box does not reach the hyperplane,
 * d moves every pixel to the box face that goes furthest towards it.
 *
 * <p>With c = w.t - b, the step moves each pixel i against sign(c) sign(w_i) by
 * min(lambda * u_i, room_i) (L-inf: u_i = 1; L2: u_i = |w_i|, the KKT form of the minimum-norm
 * step), where room_i is the distance to the box face in that direction. The progress
 * sum_i |w_i| min(lambda u_i, room_i) is piecewise linear and increasing in lambda; the smallest
 * lambda reaching |c| is found exactly by walking the sorted breakpoints room_i / u_i.
 *
 * <p>An instance holds scratch space for images of one size; it is not thread-safe.
 */
final class BoundaryProjection {
    private final Norm norm;
    private final double[] room;
    private final double[] unit;
    private final double[] limit;
    private final int[] order;

    BoundaryProjection(Norm norm, int len) {
        this.norm = norm;
        room = new double[len];
        unit = new double[len];
        limit = new double[len];
        order = new int[len];
    }

    /**
     * Writes into d[0, len) the step for the point at [tOff, tOff + len) of t onto the hyperplane
     * with normal w[wOff, wOff + len) and offset b.
     *
     * @return the step's size in the norm (L-inf: max |d_i|; L2: ||d||)
     */
    double step(float[] t, int tOff, float[] w, int wOff, double b, double[] d) {
        int len = room.length;
        double c = -b;
        for (int i = 0; i < len; i++) {
            c += (double) w[wOff + i] * t[tOff + i];
        }
        double direction = c >= 0 ? -1 : 1; // move w.z towards b
        int m = 0;
        for (int i = 0; i < len; i++) {
            double wi = w[wOff + i];
            if (wi == 0) {
                continue;
            }
            boolean up = direction * wi > 0; // moving this pixel up changes w.z the right way
            room[i] = up ? 1.0 - t[tOff + i] : t[tOff + i];
            unit[i] = norm == Norm.LINF ? 1.0 : Math.abs(wi);
            limit[i] = room[i] / unit[i];
            order[m++] = i;
        }
        double lambda = solve(w, wOff, m, Math.abs(c));
        double size = 0;
        for (int i = 0; i < len; i++) {
            double wi = w[wOff + i];
            if (wi == 0) {
                d[i] = 0;
                continue;
            }
            double move = Math.min(lambda * unit[i], room[i]);
            d[i] = (direction * wi > 0 ? 1 : -1) * move;
            size = norm == Norm.LINF ? Math.max(size, move) : size + move * move;
        }
        return norm == Norm.LINF ? size : Math.sqrt(size);
    }

    /** The smallest lambda with sum |w_i| min(lambda unit_i, room_i) >= need; +inf where unreachable. */
    private double solve(float[] w, int wOff, int m, double need) {
        if (need == 0) {
            return 0;
        }
        heapSort(order, m, limit);
        double slope = 0;   // d(progress)/d(lambda) while no pixel has hit its face
        for (int j = 0; j < m; j++) {
            int i = order[j];
            slope += Math.abs(w[wOff + i]) * unit[i];
        }
        double progress = 0;
        double at = 0;
        for (int j = 0; j < m; j++) {
            int i = order[j];
            double reach = progress + slope * (limit[i] - at);
            if (reach >= need) {
                return at + (need - progress) / slope;
            }
            progress = reach;
            at = limit[i];
            slope -= Math.abs(w[wOff + i]) * unit[i];
        }
        return Double.POSITIVE_INFINITY;
    }

    /** Sorts idx[0, n) by key[idx], ascending (heap sort: no boxing, no recursion). */
    static void heapSort(int[] idx, int n, double[] key) {
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(idx, i, n, key);
        }
        for (int end = n - 1; end > 0; end--) {
            int t = idx[0];
            idx[0] = idx[end];
            idx[end] = t;
            siftDown(idx, 0, end, key);
        }
    }

    private static void siftDown(int[] idx, int i, int n, double[] key) {
        int v = idx[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && key[idx[child + 1]] > key[idx[child]]) {
                child++;
            }
            if (key[idx[child]] <= key[v]) {
                break;
            }
            idx[i] = idx[child];
            i = child;
        }
        idx[i] = v;
    }
}
