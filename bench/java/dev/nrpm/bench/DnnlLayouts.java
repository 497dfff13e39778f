package dev.nrpm.bench;

import static org.bytedeco.dnnl.global.dnnl.*;

import java.util.ArrayList;
import java.util.List;
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
 * Which activation layout serves each oneDNN convolution primitive best, per shape, on this CPU: the
 * table behind DnnlConv's layout rule. For the forward, the backward data and the backward weights,
 * x and y are asked for in oneDNN's choice ("any"), 8- or 16-channel blocks, or NHWC; each is timed
 * from plain NCHW operands to a plain result (the reorders in and out plus the primitive; not the
 * heap copies, the same for all), best of 30 calls after 10, ms, with oneDNN's implementation name.
 * A combination oneDNN serves only with its reference loops is named, not timed (they take seconds).
 * DNNL_MAX_CPU_ISA=AVX2 shows what an AVX2 CPU gets.
 *
 * <pre>
 * java -cp 'target/nrpm.jar:target/lib/*' dev.nrpm.bench.DnnlLayouts [--batch 128] C:H:O:stride:k:pad ...
 * </pre>
 */
public final class DnnlLayouts {
    /** DNNL_MEMORY_ALLOCATE: oneDNN allocates the memory itself. */
    private static final Pointer ALLOCATE = new Pointer() {
        {
            address = -1;
        }
    };
    private static final int[] TAGS = {dnnl_format_tag_any, dnnl_nChw8c, dnnl_nChw16c, dnnl_nhwc};
    private static final String[] TAG_NAMES = {"any", "8c", "16c", "nhwc"};
    private static final String[] KINDS = {"forward", "backward data", "backward weights"};

    private final dnnl_engine engine = new dnnl_engine();
    private final dnnl_stream stream = new dnnl_stream();

    private DnnlLayouts() {
        check(dnnl_engine_create(engine, dnnl_cpu, 0));
        check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags));
    }

    public static void main(String[] args) {
        int batch = 128;
        List<int[]> shapes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--batch")) {
                batch = Integer.parseInt(args[++i]);
            } else {
                String[] p = args[i].split(":");
                if (p.length != 6) {
                    System.err.println("DnnlLayouts: a shape is C:H:O:stride:k:pad, not " + args[i]);
                    System.exit(2);
                }
                int[] s = new int[6];
                for (int k = 0; k < 6; k++) {
                    s[k] = Integer.parseInt(p[k]);
                }
                shapes.add(s);
            }
        }
        DnnlLayouts bench = new DnnlLayouts();
        System.out.println("oneDNN effective ISA 0x" + Integer.toHexString(dnnl_get_effective_cpu_isa())
                + ", batch " + batch + "; ms (implementation)");
        System.out.println("| C:H:O:stride:k:pad | primitive | " + String.join(" | ", TAG_NAMES) + " |");
        System.out.println("|---|---|---|---|---|---|");
        for (int[] s : shapes) {
            for (int kind = 0; kind < KINDS.length; kind++) {
                StringBuilder row = new StringBuilder("| " + s[0] + ":" + s[1] + ":" + s[2] + ":" + s[3] + ":" + s[4]
                        + ":" + s[5] + " | " + KINDS[kind] + " |");
                for (int tag : TAGS) {
                    row.append(' ').append(bench.time(batch, s, kind, tag)).append(" |");
                }
                System.out.println(row);
            }
        }
    }

    /** One cell: the primitive of that kind with x and y in that layout, timed; or why not. */
    private String time(int batch, int[] s, int kind, int tag) {
        int c = s[0];
        int h = s[1];
        int o = s[2];
        int stride = s[3];
        int k = s[4];
        int pad = s[5];
        int oh = (h + 2 * pad - k) / stride + 1;
        long far = (long) (oh - 1) * stride + k - h - pad;
        long[] xd = {batch, c, h, h};
        long[] wd = {o, c, k, k};
        long[] yd = {batch, o, oh, oh};
        long[] bd = {o};
        long[] strides = {stride, stride};
        long[] padL = {pad, pad};
        long[] padR = {far, far};
        dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
        check(switch (kind) {
            case 0 -> dnnl_convolution_forward_desc_init(d, dnnl_forward_training, dnnl_convolution_direct,
                    md(xd, tag), md(wd, dnnl_format_tag_any), md(bd, dnnl_x), md(yd, tag), strides, padL, padR);
            case 1 -> dnnl_convolution_backward_data_desc_init(d, dnnl_convolution_direct, md(xd, tag),
                    md(wd, dnnl_format_tag_any), md(yd, tag), strides, padL, padR);
            default -> dnnl_convolution_backward_weights_desc_init(d, dnnl_convolution_direct, md(xd, tag),
                    md(wd, dnnl_format_tag_any), md(bd, dnnl_x), md(yd, tag), strides, padL, padR);
        });
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        if (dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(d), null, engine, null) != dnnl_success) {
            return "none";
        }
        PointerPointer<BytePointer> name = new PointerPointer<>(1);
        check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, name));
        String impl = name.getString(0);
        if (impl.startsWith("ref")) {
            dnnl_primitive_desc_destroy(pd);
            return "(" + impl + ")";
        }
        List<Runnable> calls = new ArrayList<>();
        List<dnnl_memory> memories = new ArrayList<>();
        dnnl_primitive p = new dnnl_primitive();
        check(dnnl_primitive_create(p, pd));
        dnnl_memory_desc_t x = md(xd, dnnl_nchw);
        dnnl_memory_desc_t w = md(wd, dnnl_oihw);
        dnnl_memory_desc_t y = md(yd, dnnl_nchw);
        dnnl_memory_desc_t b = md(bd, dnnl_x);
        if (kind == 0) {
            dnnl_memory xm = input(x, query(pd, dnnl_query_src_md), calls, memories);
            dnnl_memory wm = input(w, query(pd, dnnl_query_weights_md), calls, memories);
            dnnl_memory bm = input(b, b, calls, memories);
            dnnl_memory ym = memory(query(pd, dnnl_query_dst_md), memories);
            calls.add(call(p, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST}, xm, wm, bm, ym));
            output(query(pd, dnnl_query_dst_md), y, ym, calls, memories);
        } else if (kind == 1) {
            dnnl_memory ym = input(y, query(pd, dnnl_query_diff_dst_md), calls, memories);
            dnnl_memory wm = input(w, query(pd, dnnl_query_weights_md), calls, memories);
            dnnl_memory xm = memory(query(pd, dnnl_query_diff_src_md), memories);
            calls.add(call(p, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC}, ym, wm, xm));
            output(query(pd, dnnl_query_diff_src_md), x, xm, calls, memories);
        } else {
            dnnl_memory xm = input(x, query(pd, dnnl_query_src_md), calls, memories);
            dnnl_memory ym = input(y, query(pd, dnnl_query_diff_dst_md), calls, memories);
            dnnl_memory wm = memory(query(pd, dnnl_query_diff_weights_md), memories);
            dnnl_memory bm = memory(b, memories);
            calls.add(call(p, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
                    xm, ym, wm, bm));
            output(query(pd, dnnl_query_diff_weights_md), w, wm, calls, memories);
        }
        double best = Double.MAX_VALUE;
        for (int it = 0; it < 40; it++) {
            long t0 = System.nanoTime();
            calls.forEach(Runnable::run);
            check(dnnl_stream_wait(stream));
            if (it >= 10) {
                best = Math.min(best, (System.nanoTime() - t0) / 1e6);
            }
        }
        dnnl_primitive_destroy(p);
        dnnl_primitive_desc_destroy(pd);
        memories.forEach(m -> dnnl_memory_destroy(m));
        return String.format(Locale.ROOT, "%.3f (%s)", best, impl);
    }

    private static dnnl_memory_desc_t query(dnnl_primitive_desc pd, int what) {
        return dnnl_primitive_desc_query_md(pd, what, 0);
    }

    /** Plain memory filled with a sine (never zeros), reordered to the chosen layout where it differs. */
    private dnnl_memory input(dnnl_memory_desc_t plain, dnnl_memory_desc_t chosen, List<Runnable> calls,
                              List<dnnl_memory> memories) {
        dnnl_memory pm = memory(plain, memories);
        PointerPointer<Pointer> h = new PointerPointer<>(1);
        check(dnnl_memory_get_data_handle(pm, h));
        int n = (int) (dnnl_memory_desc_get_size(plain) / Float.BYTES);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) Math.sin(i);
        }
        new FloatPointer(h.get(0)).put(values, 0, n);
        if (dnnl_memory_desc_equal(plain, chosen) != 0) {
            return pm;
        }
        dnnl_memory cm = memory(chosen, memories);
        calls.add(reorder(plain, chosen, pm, cm));
        return cm;
    }

    /** The reorder of a result back to its plain layout, where it is not there already. */
    private void output(dnnl_memory_desc_t chosen, dnnl_memory_desc_t plain, dnnl_memory cm, List<Runnable> calls,
                        List<dnnl_memory> memories) {
        if (dnnl_memory_desc_equal(plain, chosen) == 0) {
            calls.add(reorder(chosen, plain, cm, memory(plain, memories)));
        }
    }

    private Runnable reorder(dnnl_memory_desc_t from, dnnl_memory_desc_t to, dnnl_memory fm, dnnl_memory tm) {
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_reorder_primitive_desc_create(pd, from, engine, to, engine, null));
        dnnl_primitive p = new dnnl_primitive();
        check(dnnl_primitive_create(p, pd));
        return call(p, new int[] {DNNL_ARG_FROM, DNNL_ARG_TO}, fm, tm);
    }

    private Runnable call(dnnl_primitive p, int[] keys, dnnl_memory... memories) {
        dnnl_exec_arg_t args = new dnnl_exec_arg_t(keys.length);
        for (int i = 0; i < keys.length; i++) {
            args.position(i).arg(keys[i]).memory(memories[i]);
        }
        args.position(0);
        return () -> check(dnnl_primitive_execute(p, stream, keys.length, args));
    }

    private dnnl_memory memory(dnnl_memory_desc_t md, List<dnnl_memory> memories) {
        dnnl_memory m = new dnnl_memory();
        check(dnnl_memory_create(m, md, engine, ALLOCATE));
        memories.add(m);
        return m;
    }

    private static dnnl_memory_desc_t md(long[] dims, int tag) {
        dnnl_memory_desc_t m = new dnnl_memory_desc_t();
        check(dnnl_memory_desc_init_by_tag(m, dims.length, dims, dnnl_f32, tag));
        return m;
    }

    private static void check(int status) {
        if (status != dnnl_success) {
            throw new IllegalStateException("oneDNN status " + status);
        }
    }
}
