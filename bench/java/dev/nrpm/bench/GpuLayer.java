package dev.nrpm.bench;

import dev.nrpm.tensor.GradMode;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.ops.Ops;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One layer of the GPU benchmarks (GpuNrpmBench, GpuNrpmJmh): its shape, one of the cases that
 * bench/gpu/torch_nrpm.py times too; random inputs and weights on a backend (fixed seed, no
 * zeros); LPM or NRPM (L1, K steps, lambda 0.5) forward and forward+backward; and the check of the
 * NRPM forward against the float64 reference backend, which must pass before anything is timed.
 */
final class GpuLayer {
    record Case(String name, boolean conv, int in, int out, int size, int kernel, int stride, int pad) {
        static Case dense(String name, int in, int out) {
            return new Case(name, false, in, out, 1, 1, 1, 0);
        }

        static Case conv(String name, int in, int out, int size, int kernel, int stride, int pad) {
            return new Case(name, true, in, out, size, kernel, stride, pad);
        }

        int outSize() {
            return conv ? (size + 2 * pad - kernel) / stride + 1 : 1;
        }

        /** B * O * D * L: the terms one pass visits. */
        double terms(int batch) {
            double d = (double) in * kernel * kernel;
            return (double) batch * out * d * outSize() * outSize();
        }
    }

    static final List<Case> CASES = List.of(
            Case.dense("mlp.fc1 784->256", 784, 256),
            Case.dense("mlp.fc2 256->64", 256, 64),
            Case.dense("mlp.fc3 64->10", 64, 10),
            Case.conv("tiny.conv1 3->8 32x32", 3, 8, 32, 3, 1, 1),
            Case.conv("tiny.layer1 8->8 32x32", 8, 8, 32, 3, 1, 1),
            Case.conv("tiny.layer2 8->16 s2", 8, 16, 32, 3, 2, 1),
            Case.conv("tiny.layer3 16->32 s2", 16, 32, 16, 3, 2, 1),
            Case.conv("tiny.layer4 32->64 s2", 32, 64, 8, 3, 2, 1),
            Case.conv("full.conv1 3->64 32x32", 3, 64, 32, 3, 1, 1),
            Case.conv("full.layer1 64->64 32x32", 64, 64, 32, 3, 1, 1),
            Case.conv("full.layer2 128->128 16x16", 128, 128, 16, 3, 1, 1),
            Case.conv("full.layer3 256->256 8x8", 256, 256, 8, 3, 1, 1),
            Case.conv("full.layer4 512->512 4x4", 512, 512, 4, 3, 1, 1),
            Case.conv("full.shortcut 64->128 1x1 s2", 64, 128, 32, 1, 2, 0));

    /** The case whose name starts with prefix (e.g. "full.layer1"); an error naming the cases if none or several do. */
    static Case find(String prefix) {
        List<Case> hits = CASES.stream().filter(c -> c.name.startsWith(prefix)).toList();
        if (hits.size() != 1) {
            throw new IllegalArgumentException("layer '" + prefix + "' must name exactly one of "
                    + CASES.stream().map(Case::name).toList());
        }
        return hits.get(0);
    }

    final Case c;
    final int batch;
    final int k;
    final NrpmSpec spec;
    private final float[] xv;
    private final float[] wv;
    private final float[] bv;
    final Tensor x;
    final Tensor w;
    final Tensor b;
    final Tensor lambda;

    GpuLayer(Backend be, Case c, int batch, int k) {
        this.c = c;
        this.batch = batch;
        this.k = k;
        this.spec = NrpmSpec.l1(k, 1e-3f);
        SplittableRandom rnd = new SplittableRandom(42);
        int d = c.in * c.kernel * c.kernel;
        xv = normal(rnd, batch * c.in * c.size * c.size, 1);
        wv = normal(rnd, c.out * d, 1 / Math.sqrt(d));
        bv = normal(rnd, c.out, 0.1);
        x = input(be, xv, batch);
        w = c.conv ? Tensor.of(be, wv, c.out, c.in, c.kernel, c.kernel) : Tensor.of(be, wv, c.out, c.in);
        b = Tensor.of(be, bv, c.out);
        lambda = Tensor.scalar(be, 0.5f);
    }

    private Tensor input(Backend be, float[] values, int rows) {
        return c.conv ? Tensor.of(be, values, rows, c.in, c.size, c.size) : Tensor.of(be, values, rows, c.in);
    }

    private Tensor apply(boolean robust, Tensor xs, Tensor ws, Tensor bs, Tensor ls) {
        if (c.conv) {
            return robust ? Ops.nrpmConv2d(spec, xs, ws, bs, ls, c.stride, c.pad) : Ops.conv2d(xs, ws, bs, c.stride, c.pad);
        }
        return robust ? Ops.nrpmDense(spec, xs, ws, bs, ls) : Ops.dense(xs, ws, bs);
    }

    void forward(boolean robust) {
        try (MemoryScope s = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
            apply(robust, x, w, b, lambda);
            x.backend().synchronize();
        }
    }

    /** Forward and backward with gradients for x, W, b and lambda. */
    void forwardBackward(boolean robust) {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor xs = x.detach().requiresGrad(true);
            Tensor ws = w.detach().requiresGrad(true);
            Tensor bs = b.detach().requiresGrad(true);
            Tensor ls = lambda.detach().requiresGrad(true);
            Ops.sum(apply(robust, xs, ws, bs, ls)).backward();
            x.backend().synchronize();
            for (Tensor t : new Tensor[] {xs, ws, bs, ls}) {
                t.releaseGrad();
            }
        }
    }

    /**
     * The NRPM forward of the first two samples against the float64 reference on those samples:
     * the relative error, or an exception when it exceeds 1e-4.
     */
    double validate() {
        int rows = 2;
        float[] got;
        try (MemoryScope s = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
            got = apply(true, x, w, b, lambda).toFloatArray();
        }
        Backend ref = Backends.get("reference");
        double[] want;
        try (MemoryScope s = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
            int per = c.in * c.size * c.size;
            want = apply(true, input(ref, Arrays.copyOf(xv, rows * per), rows), Tensor.of(ref, wv, w.shape()),
                    Tensor.of(ref, bv, c.out), Tensor.scalar(ref, 0.5f)).toDoubleArray();
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        double err = Math.sqrt(num / Math.max(den, 1e-30));
        if (!(err < 1e-4)) {
            throw new IllegalStateException(c.name + " K=" + k + ": GPU NRPM disagrees with the float64 reference,"
                    + " relative error " + err);
        }
        return err;
    }

    private static float[] normal(SplittableRandom rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 1.5) * 2 * scale);
        }
        return v;
    }
}
