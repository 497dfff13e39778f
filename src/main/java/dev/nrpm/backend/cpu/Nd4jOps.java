package dev.nrpm.backend.cpu;

import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.error.BackendException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What ND4J does well for us: OpenBLAS SGEMM and libnd4j's im2col convolutions. Data is copied
 * between our heap arrays and ND4J's off-heap buffers on each call; that is O(inputs + outputs),
 * small next to the O(m n k) work.
 */
final class Nd4jOps {
    static {
        Nd4jNatives.select();
    }

    private Nd4jOps() {
    }

    /** Loads the native library and runs one op; throws if ND4J cannot work here. */
    static void probe() {
        INDArray a = Nd4j.create(new float[] {1, 2, 3, 4}, new long[] {2, 2}, 'c');
        INDArray c = Nd4j.gemm(a, a, false, false);
        if (c.getFloat(0, 0) != 7f) {
            throw new BackendException("ND4J self-check failed: 2x2 product gave " + c);
        }
    }

    private static INDArray wrap(float[] data, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] exact = data.length == n ? data : java.util.Arrays.copyOf(data, (int) n);
        return Nd4j.create(exact, shape, 'c');
    }

    private static void copyOut(INDArray src, float[] dst, int n) {
        src.data().asNioFloat().get(dst, 0, n);
    }

    /** C (m, n) = alpha op(A) op(B) + beta C, row-major. */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, float[] b, float beta, float[] c) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m * n; i++) {
                c[i] = beta == 0 ? 0f : beta * c[i];
            }
            return;
        }
        INDArray am = transA ? wrap(a, k, m) : wrap(a, m, k);
        INDArray bm = transB ? wrap(b, n, k) : wrap(b, k, n);
        INDArray cm = beta == 0 ? Nd4j.createUninitialized(DataType.FLOAT, new long[] {m, n}, 'c') : wrap(c, m, n);
        Nd4j.gemm(am, bm, cm, transA, transB, alpha, beta);
        copyOut(cm, c, m * n);
    }

    /** libnd4j's integer arguments for conv2d / conv2d_bp: explicit padding, NCHW, weights (O, C, kh, kw). */
    private static int[] convArgs(ConvGeometry g) {
        return new int[] {g.kH(), g.kW(), g.strideH(), g.strideW(), g.padH(), g.padW(), 1, 1,
            0 /* padding as given */, 0 /* NCHW */, 1 /* weights OIYX */};
    }

    static void conv2d(ConvGeometry g, float[] x, float[] w, float[] y) {
        INDArray in = wrap(x, g.batch(), g.inC(), g.inH(), g.inW());
        INDArray wt = wrap(w, g.outC(), g.inC(), g.kH(), g.kW());
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT,
                new long[] {g.batch(), g.outC(), g.outH(), g.outW()}, 'c');
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(in, wt).addOutputs(out)
                .addIntegerArguments(convArgs(g)).build());
        copyOut(out, y, (int) g.outputSize());
    }

    /** gx += dL/dx, gw += dL/dw (either may be null) via libnd4j's conv2d_bp. */
    static void conv2dBackward(ConvGeometry g, float[] x, float[] w, float[] gy, float[] gx, float[] gw) {
        INDArray in = wrap(x, g.batch(), g.inC(), g.inH(), g.inW());
        INDArray wt = wrap(w, g.outC(), g.inC(), g.kH(), g.kW());
        INDArray go = wrap(gy, g.batch(), g.outC(), g.outH(), g.outW());
        INDArray gi = Nd4j.createUninitialized(DataType.FLOAT, new long[] {g.batch(), g.inC(), g.inH(), g.inW()}, 'c');
        INDArray gwt = Nd4j.createUninitialized(DataType.FLOAT, new long[] {g.outC(), g.inC(), g.kH(), g.kW()}, 'c');
        Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(in, wt, go).addOutputs(gi, gwt)
                .addIntegerArguments(convArgs(g)).build());
        if (gx != null) {
            addInto(gi, gx, (int) g.inputSize());
        }
        if (gw != null) {
            addInto(gwt, gw, (int) g.weightSize());
        }
    }

    private static void addInto(INDArray src, float[] dst, int n) {
        java.nio.FloatBuffer fb = src.data().asNioFloat();
        for (int i = 0; i < n; i++) {
            dst[i] += fb.get(i);
        }
    }
}
