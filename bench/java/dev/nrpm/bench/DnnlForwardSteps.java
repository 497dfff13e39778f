package dev.nrpm.bench;

import static org.bytedeco.dnnl.global.dnnl.*;

import java.util.Locale;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Where the time of one LPM convolution forward on heap arrays goes, step by step, on oneDNN
 * directly (what backend/cpu/DnnlConv does, taken apart): copy x into native memory, reorder it to
 * the layout the primitive chose, the convolution (bias included), reorder y back, copy it out;
 * and, for comparison, a fresh zeroed Java array of y's size and a separate bias pass. Batch 128,
 * 3x3 kernel, padding 1; best of 44 calls after 16, ms. Source and destination layouts can be
 * forced (oneDNN format tags: 1 any, 5 nchw, 20 nhwc) to see what oneDNN falls back to.
 *
 * <pre>
 * java -cp 'target/nrpm.jar:target/lib/*' dev.nrpm.bench.DnnlForwardSteps inC size outC stride [srcTag dstTag]
 * </pre>
 */
public final class DnnlForwardSteps {
    private static final Pointer ALLOCATE = new Pointer() {
        {
            address = -1;   // DNNL_MEMORY_ALLOCATE: oneDNN allocates the memory itself
        }
    };

    private DnnlForwardSteps() {
    }

    public static void main(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: DnnlForwardSteps inC size outC stride [srcTag dstTag]");
            System.exit(2);
        }
        int batch = 128;
        int c = Integer.parseInt(args[0]);
        int h = Integer.parseInt(args[1]);
        int o = Integer.parseInt(args[2]);
        int s = Integer.parseInt(args[3]);
        int srcTag = args.length > 4 ? Integer.parseInt(args[4]) : dnnl_format_tag_any;
        int dstTag = args.length > 5 ? Integer.parseInt(args[5]) : dnnl_format_tag_any;
        int oh = (h + 2 - 3) / s + 1;
        long farPad = (long) (oh - 1) * s + 3 - h - 1;

        dnnl_engine engine = new dnnl_engine();
        check(dnnl_engine_create(engine, dnnl_cpu, 0));
        dnnl_stream stream = new dnnl_stream();
        check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags));
        long[] xd = {batch, c, h, h};
        long[] wd = {o, c, 3, 3};
        long[] yd = {batch, o, oh, oh};
        long[] bd = {o};
        dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
        check(dnnl_convolution_forward_desc_init(d, dnnl_forward_training, dnnl_convolution_direct, md(xd, srcTag),
                md(wd, dnnl_format_tag_any), md(bd, dnnl_x), md(yd, dstTag), new long[] {s, s}, new long[] {1, 1},
                new long[] {farPad, farPad}));
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(d), null, engine, null));
        PointerPointer<BytePointer> name = new PointerPointer<>(1);
        check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, name));
        System.out.printf(Locale.ROOT, "conv %d->%d, %dx%d, stride %d, batch %d: %s%n", c, o, h, h, s, batch,
                name.getString(0));

        dnnl_memory x = memory(dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), engine);
        dnnl_memory w = memory(dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), engine);
        dnnl_memory b = memory(md(bd, dnnl_x), engine);
        dnnl_memory y = memory(dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), engine);
        dnnl_memory xPlain = memory(md(xd, dnnl_nchw), engine);
        dnnl_memory yPlain = memory(md(yd, dnnl_nchw), engine);
        dnnl_primitive conv = new dnnl_primitive();
        check(dnnl_primitive_create(conv, pd));
        dnnl_primitive in = reorder(engine, md(xd, dnnl_nchw), dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0));
        dnnl_primitive out = reorder(engine, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), md(yd, dnnl_nchw));
        dnnl_exec_arg_t convArgs = new dnnl_exec_arg_t(4);
        convArgs.position(0).arg(DNNL_ARG_SRC).memory(x);
        convArgs.position(1).arg(DNNL_ARG_WEIGHTS).memory(w);
        convArgs.position(2).arg(DNNL_ARG_BIAS).memory(b);
        convArgs.position(3).arg(DNNL_ARG_DST).memory(y);
        convArgs.position(0);
        dnnl_exec_arg_t inArgs = args(xPlain, x);
        dnnl_exec_arg_t outArgs = args(y, yPlain);
        FloatPointer xp = handle(xPlain);
        FloatPointer yp = handle(yPlain);

        int nx = batch * c * h * h;
        int ny = batch * o * oh * oh;
        float[] xh = new float[nx];
        for (int i = 0; i < nx; i++) {
            xh[i] = (float) Math.sin(i);
        }
        float[] yh = new float[ny];
        float[] bias = new float[o];
        for (int i = 0; i < o; i++) {
            bias[i] = 0.1f * i;
        }
        String[] steps = {"copy x in", "reorder x", "convolution", "reorder y", "copy y out", "new float[y]",
            "separate bias pass"};
        double[] best = new double[steps.length];
        java.util.Arrays.fill(best, Double.MAX_VALUE);
        float sink = 0;
        for (int it = 0; it < 60; it++) {
            long[] t = new long[steps.length + 1];
            t[0] = System.nanoTime();
            xp.position(0).put(xh, 0, nx);
            t[1] = System.nanoTime();
            run(in, stream, 2, inArgs);
            t[2] = System.nanoTime();
            run(conv, stream, 4, convArgs);
            t[3] = System.nanoTime();
            run(out, stream, 2, outArgs);
            t[4] = System.nanoTime();
            yp.position(0).get(yh, 0, ny);
            t[5] = System.nanoTime();
            float[] fresh = new float[ny];
            sink += fresh[it];
            t[6] = System.nanoTime();
            int plane = oh * oh;
            for (int n = 0; n < batch; n++) {
                for (int k = 0; k < o; k++) {
                    int off = (n * o + k) * plane;
                    for (int i = 0; i < plane; i++) {
                        yh[off + i] += bias[k];
                    }
                }
            }
            t[7] = System.nanoTime();
            if (it >= 16) {
                for (int k = 0; k < steps.length; k++) {
                    best[k] = Math.min(best[k], (t[k + 1] - t[k]) / 1e6);
                }
            }
        }
        for (int k = 0; k < steps.length; k++) {
            System.out.printf(Locale.ROOT, "%-20s %.3f ms%n", steps[k], best[k]);
        }
        if (sink != 0) {
            System.out.println(sink);
        }
    }

    private static void check(int status) {
        if (status != dnnl_success) {
            throw new IllegalStateException("oneDNN status " + status);
        }
    }

    private static dnnl_memory_desc_t md(long[] dims, int tag) {
        dnnl_memory_desc_t m = new dnnl_memory_desc_t();
        check(dnnl_memory_desc_init_by_tag(m, dims.length, dims, dnnl_f32, tag));
        return m;
    }

    private static dnnl_memory memory(dnnl_memory_desc_t md, dnnl_engine engine) {
        dnnl_memory m = new dnnl_memory();
        check(dnnl_memory_create(m, md, engine, ALLOCATE));
        return m;
    }

    private static FloatPointer handle(dnnl_memory m) {
        PointerPointer<Pointer> h = new PointerPointer<>(1);
        check(dnnl_memory_get_data_handle(m, h));
        return new FloatPointer(h.get(0));
    }

    private static dnnl_primitive reorder(dnnl_engine e, dnnl_memory_desc_t from, dnnl_memory_desc_t to) {
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_reorder_primitive_desc_create(pd, from, e, to, e, null));
        dnnl_primitive p = new dnnl_primitive();
        check(dnnl_primitive_create(p, pd));
        return p;
    }

    private static dnnl_exec_arg_t args(dnnl_memory from, dnnl_memory to) {
        dnnl_exec_arg_t a = new dnnl_exec_arg_t(2);
        a.position(0).arg(DNNL_ARG_FROM).memory(from);
        a.position(1).arg(DNNL_ARG_TO).memory(to);
        a.position(0);
        return a;
    }

    private static void run(dnnl_primitive p, dnnl_stream stream, int n, dnnl_exec_arg_t args) {
        check(dnnl_primitive_execute(p, stream, n, args));
        check(dnnl_stream_wait(stream));
    }
}
