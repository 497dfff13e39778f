package dev.nrpm.backend.cpu;

import dev.nrpm.backend.ConvGeometry;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LPM convolution on libnd4j's conv2d / conv2d_bp ops, which the oneDNN build runs as oneDNN's
 * JIT-compiled direct convolutions (the same library PyTorch's CPU convolutions use). Our data
 * lives in heap arrays, so each call copies its operands into reusable off-heap arrays and the
 * results back: a bulk copy costs about 0.2 ms per million floats, while creating a fresh INDArray
 * from a float[] costs 30 times that (bench/RESULTS.md, "CPU: LPM convolutions on oneDNN").
 * Used only where {@link Nd4jNatives#oneDnnLoaded}: the plain build's conv2d is 10x slower than
 * our own {@link CpuConv}.
 */
final class OneDnnConv {
    /** Per thread: x, w, y / gy, gx, gw off-heap arrays, grown as needed and reused. */
    private static final ThreadLocal<INDArray[]> SCRATCH = ThreadLocal.withInitial(() -> new INDArray[5]);
    /** Per thread: a heap copy of a gradient to add into the caller's. */
    private static final ThreadLocal<float[][]> HEAP = ThreadLocal.withInitial(() -> new float[1][]);

    private OneDnnConv() {
    }

    /** A c-order array of this shape over scratch slot's reusable off-heap memory. */
    private static INDArray scratch(int slot, long... shape) {
        INDArray[] s = SCRATCH.get();
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (s[slot] == null || s[slot].length() < n) {
            s[slot] = Nd4j.createUninitialized(DataType.FLOAT, Math.max(n, 1024));
        }
        return Nd4j.create(s[slot].data(), shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
    }

    private static INDArray filled(int slot, float[] data, int n, long... shape) {
        INDArray a = scratch(slot, shape);
        a.data().asNioFloat().put(data, 0, n);
        return a;
    }

    /** libnd4j's integer arguments: explicit padding, dilation 1, NCHW, weights (O, C, kh, kw). */
    private static int[] args(ConvGeometry g) {
        return new int[] {g.kH(), g.kW(), g.strideH(), g.strideW(), g.padH(), g.padW(), 1, 1,
            0 /* padding as given */, 0 /* NCHW */, 1 /* weights OIYX */};
    }

    private static long[] inShape(ConvGeometry g) {
        return new long[] {g.batch(), g.inC(), g.inH(), g.inW()};
    }

    private static long[] weightShape(ConvGeometry g) {
        return new long[] {g.outC(), g.inC(), g.kH(), g.kW()};
    }

    private static long[] outShape(ConvGeometry g) {
        return new long[] {g.batch(), g.outC(), g.outH(), g.outW()};
    }

    /** y (B, O, oh, ow) = conv2d(x, w), written over. */
    static void forward(ConvGeometry g, float[] x, float[] w, float[] y) {
        INDArray in = filled(0, x, (int) g.inputSize(), inShape(g));
        INDArray wt = filled(1, w, (int) g.weightSize(), weightShape(g));
        INDArray out = scratch(2, outShape(g));
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(in, wt).addOutputs(out)
                .addIntegerArguments(args(g)).build());
        out.data().asNioFloat().get(y, 0, (int) g.outputSize());
    }

    /**
     * gx = dL/dx (added when accumulateGx, else written over) and gw += dL/dw; either may be null.
     * conv2d_bp computes both whatever is asked.
     */
    static void backward(ConvGeometry g, float[] x, float[] w, float[] gy, float[] gx, boolean accumulateGx,
                         float[] gw) {
        if (gx == null && gw == null) {
            return;
        }
        INDArray in = filled(0, x, (int) g.inputSize(), inShape(g));
        INDArray wt = filled(1, w, (int) g.weightSize(), weightShape(g));
        INDArray go = filled(2, gy, (int) g.outputSize(), outShape(g));
        INDArray gi = scratch(3, inShape(g));
        INDArray gwt = scratch(4, weightShape(g));
        Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(in, wt, go).addOutputs(gi, gwt)
                .addIntegerArguments(args(g)).build());
        if (gx != null) {
            int n = (int) g.inputSize();
            if (accumulateGx) {
                addInto(gi.data().asNioFloat(), gx, n);
            } else {
                gi.data().asNioFloat().get(gx, 0, n);
            }
        }
        if (gw != null) {
            addInto(gwt.data().asNioFloat(), gw, (int) g.weightSize());
        }
    }

    /** dst[0, n) += src[0, n), through a heap copy (a bulk get, then a loop C2 vectorizes). */
    private static void addInto(FloatBuffer src, float[] dst, int n) {
        float[][] holder = HEAP.get();
        if (holder[0] == null || holder[0].length < n) {
            holder[0] = new float[n];
        }
        float[] tmp = holder[0];
        src.get(tmp, 0, n);
        for (int i = 0; i < n; i++) {
            dst[i] += tmp[i];
        }
    }
}
