package dev.nrpm.backend.cpu;

import static org.bytedeco.dnnl.global.dnnl.*;

import dev.nrpm.backend.ConvGeometry;
import java.lang.ref.Cleaner;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
import org.bytedeco.javacpp.PointerPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LPM convolution on oneDNN through JavaCPP's dnnl preset: the library PyTorch's CPU convolutions
 * use, called directly so that each shape's primitives are created once and reused, and each
 * operand is in the layout oneDNN chose for it (blocked channels: its JIT-compiled direct
 * convolutions run only there; bench/RESULTS.md "CPU: LPM convolutions on oneDNN, directly"), or,
 * for the backward primitives of layers whose channels do not fill the CPU's vectors, NHWC
 * ({@link #backwardOnNhwc}).
 * Our tensors are NCHW float arrays on the heap. Activations (x, y and their gradients) are read
 * from and written to their buffers' native mirrors ({@link CpuBuffer}), which are copied from or to
 * the heap only when the other side has changed; weights, the bias and gradients that are added into
 * are copied through reusable per-thread staging memory. Each operand is reordered to oneDNN's
 * layout and each result back to NCHW.
 * The bias is added in the forward primitive's own pass and its gradient comes out of the
 * backward-weights primitive (a separate pass over y or gy costs as much as a copy of it).
 * oneDNN picks its code for the CPU it runs on (AVX-512, AVX2, SSE4.1, or reference C++ code), so
 * this path has no instruction-set requirement; DNNL_MAX_CPU_ISA caps it (the tests use that).
 */
final class DnnlConv {
    private static final Logger LOG = LoggerFactory.getLogger(DnnlConv.class);
    /** Plans kept per thread: a ResNet-18 has 11 convolution shapes per batch size. */
    private static final int PLANS_PER_THREAD = 48;

    private static dnnl_engine engine;
    private static String unavailable;
    private static final ThreadLocal<Context> CONTEXT = ThreadLocal.withInitial(Context::new);
    private static final Cleaner CLEANER = Cleaner.create();
    /** Ids of (recent) threads whose oneDNN state has been released, for the tests. */
    static final Set<Long> RELEASED_FOR_THREADS = ConcurrentHashMap.newKeySet();

    private DnnlConv() {
    }

    /** Null where oneDNN loads and makes a CPU engine, else why not (once per JVM). */
    static synchronized String unavailableReason() {
        if (engine == null && unavailable == null) {
            try {
                dnnl_engine e = new dnnl_engine();
                check(dnnl_engine_create(e, dnnl_cpu, 0), "creating the CPU engine", null);
                engine = e;
            } catch (Throwable t) {
                unavailable = "oneDNN (org.bytedeco:dnnl) did not load: " + t;
            }
        }
        return unavailable;
    }

    private static synchronized dnnl_engine engine() {
        String why = unavailableReason();
        if (why != null) {
            throw new IllegalStateException(why);
        }
        return engine;
    }

    /** y (B, O, oh, ow) = conv2d(x, w) + b, written over; b (O) may be null. */
    static void forward(ConvGeometry g, float[] x, float[] w, float[] b, float[] y) {
        forward(g, new Act(x), w, b, new Act(y));
    }

    /**
     * As {@link #forward(ConvGeometry, float[], float[], float[], float[])}, with x read from and y
     * written to their buffers' native mirrors ({@link CpuBuffer}).
     */
    static void forward(ConvGeometry g, CpuBuffer x, float[] w, float[] b, CpuBuffer y) {
        forward(g, new Act(x), w, b, new Act(y));
    }

    private static void forward(ConvGeometry g, Act x, float[] w, float[] b, Act y) {
        Context c = CONTEXT.get();
        Plan p = c.plan(g);
        Step f = p.forward();
        f.in(0).load(c, x);
        f.in(1).load(c, new Act(w));
        f.in(2).load(c, new Act(b == null ? c.zeros(g.outC()) : b));   // the primitive always adds a bias
        f.out(0).bindOutput(c, y, false);
        f.run(c);
        f.out(0).store(c, y, false);
    }

    /**
     * gx = dL/dx (added when accumulateGx, else written over), gw += dL/dw and, with gw, gb += dL/db
     * (one primitive computes both); any may be null, gb only where gw is not.
     */
    static void backward(ConvGeometry g, float[] x, float[] w, float[] gy, float[] gx, boolean accumulateGx,
                         float[] gw, float[] gb) {
        backward(g, new Act(x), w, new Act(gy), gx == null ? null : new Act(gx), accumulateGx, gw, gb);
    }

    /**
     * As {@link #backward(ConvGeometry, float[], float[], float[], float[], boolean, float[], float[])},
     * with x and gy read from their buffers' native mirrors, and gx, unless added into, written to its
     * mirror; gx may be null.
     */
    static void backward(ConvGeometry g, CpuBuffer x, float[] w, CpuBuffer gy, CpuBuffer gx, boolean accumulateGx,
                         float[] gw, float[] gb) {
        backward(g, new Act(x), w, new Act(gy), gx == null ? null : new Act(gx), accumulateGx, gw, gb);
    }

    private static void backward(ConvGeometry g, Act x, float[] w, Act gy, Act gx, boolean accumulateGx,
                                 float[] gw, float[] gb) {
        if (gb != null && gw == null) {
            throw new IllegalArgumentException("oneDNN computes the bias gradient with the weights' only");
        }
        Context c = CONTEXT.get();
        Plan p = c.plan(g);
        Step bw = gw == null ? null : p.backwardWeights();
        if (bw != null) {
            bw.in(0).load(c, x);
            bw.in(1).load(c, gy);
            Act gwOut = new Act(gw);
            Act gbOut = gb == null ? null : new Act(gb);
            bw.out(0).bindOutput(c, gwOut, true);
            bw.out(1).bindOutput(c, gbOut, true);   // the primitive writes a bias gradient regardless
            bw.run(c);
            bw.out(0).store(c, gwOut, true);
            if (gbOut != null) {
                bw.out(1).store(c, gbOut, true);
            }
        }
        if (gx != null) {
            Step bd = p.backwardData();
            if (bw != null) {
                bd.in(0).reloadAfter(c, bw.in(1));     // gy is still where the weights' pass read it
            } else {
                bd.in(0).load(c, gy);
            }
            bd.in(1).load(c, new Act(w));
            bd.out(0).bindOutput(c, gx, accumulateGx);
            bd.run(c);
            bd.out(0).store(c, gx, accumulateGx);
        }
    }

    /**
     * Floats in one vector register of the CPU oneDNN generates code for: 16 with AVX-512, 8 with
     * AVX2, 0 below that (or where DNNL_MAX_CPU_ISA caps it so), where no layout rule applies.
     */
    static int vectorFloats() {
        engine();
        int isa = dnnl_get_effective_cpu_isa();
        if ((isa & (dnnl_cpu_isa_avx512_mic | dnnl_cpu_isa_avx512_core) & ~dnnl_cpu_isa_avx2) != 0) {
            return 16;
        }
        return (isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2 ? 8 : 0;
    }

    /**
     * Whether a backward primitive (of the weights where weights, else of the data) runs on NHWC
     * activations rather than the layout oneDNN would choose. Where x's channels are not a multiple
     * of the vector width, oneDNN's choice pads them to its channel block (AVX-512's backward data
     * computes 8 channels as 16) or drops to the narrower ISA's kernels (AVX-512's backward weights on
     * 8 channels runs AVX2 code); its NHWC kernels do neither: 1.3x to 3x faster there, same speed or
     * slower elsewhere (bench/RESULTS.md "CPU: backward convolutions on NHWC"). The weights' backward
     * keeps oneDNN's choice for 1 to 3 channels, where its first-layer kernels read NCHW directly.
     * A fixed rule, not a timing at run time, so that a run's numbers do not depend on a race.
     */
    static boolean backwardOnNhwc(ConvGeometry g, boolean weights, int vectorFloats) {
        if (vectorFloats == 0 || g.inC() % vectorFloats == 0) {
            return false;
        }
        return !weights || g.inC() > 3;
    }

    /** oneDNN's implementation names for g's forward, backward data and backward weights. */
    static String implementations(ConvGeometry g) {
        Plan p = CONTEXT.get().plan(g);
        return "forward " + p.forward().impl + ", backward data " + p.backwardData().impl
                + ", backward weights " + p.backwardWeights().impl;
    }

    private static void check(int status, String what, ConvGeometry g) {
        if (status != dnnl_success) {
            throw new IllegalStateException("oneDNN failed " + what + (g == null ? "" : " for convolution " + g)
                    + ": status " + status);
        }
    }

    /** oneDNN's name for the code pd runs ("jit:avx2", "ref:any", ...). */
    private static String implementation(dnnl_primitive_desc pd, ConvGeometry g) {
        PointerPointer<BytePointer> name = new PointerPointer<>(1);
        check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, name), "naming an implementation", g);
        return name.getString(0);
    }

    private static dnnl_memory_desc_t md(long[] dims, int tag) {
        dnnl_memory_desc_t d = new dnnl_memory_desc_t();
        check(dnnl_memory_desc_init_by_tag(d, dims.length, dims, dnnl_f32, tag), "describing memory", null);
        return d;
    }

    /** One thread's stream, plans (least recently used dropped first) and staging memory. */
    private static final class Context {
        final dnnl_stream stream = new dnnl_stream();
        final Plans plans = new Plans();
        /** Native buffers by slot, grown as needed; each operand role has its own slots. */
        final FloatPointer[] slots = new FloatPointer[2 * Slot.values().length];
        /** A heap copy of a gradient to add into the caller's. */
        float[] heap = new float[0];
        /** The bias of a convolution without one. */
        float[] zeros = new float[0];

        Context() {
            check(dnnl_stream_create(stream, engine(), dnnl_stream_default_flags), "creating a stream", null);
            CLEANER.register(this, new Release(Thread.currentThread().getId(), stream, plans, slots));
        }

        Plan plan(ConvGeometry g) {
            return plans.computeIfAbsent(g, Plan::new);
        }

        FloatPointer slot(int i, long floats) {
            FloatPointer p = slots[i];
            if (p == null || p.capacity() < floats) {
                if (p != null) {
                    p.close();
                }
                p = new FloatPointer(Math.max(floats, 1024));
                slots[i] = p;
            }
            return p;
        }

        float[] zeros(int n) {
            if (zeros.length != n) {
                zeros = new float[n];
            }
            return zeros;
        }

        float[] heap(int n) {
            if (heap.length < n) {
                heap = new float[n];
            }
            return heap;
        }
    }

    /** A thread's plans, least recently used first; the eldest is released past PLANS_PER_THREAD. */
    private static final class Plans extends LinkedHashMap<ConvGeometry, Plan> {
        Plans() {
            super(16, 0.75f, true);
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<ConvGeometry, Plan> eldest) {
            if (size() > PLANS_PER_THREAD) {
                eldest.getValue().close();
                return true;
            }
            return false;
        }
    }

    /**
     * Frees a context's primitives, memory objects, staging memory and stream once its thread has
     * ended (a thread's locals go with it, and the context becomes unreachable): a thread pool that
     * retires idle threads, as Spark's executors do, would otherwise leak each one's native state.
     * Holds what it frees, never the context (which would keep it reachable).
     */
    private static final class Release implements Runnable {
        private final long thread;
        private final dnnl_stream stream;
        private final Plans plans;
        private final FloatPointer[] slots;

        Release(long thread, dnnl_stream stream, Plans plans, FloatPointer[] slots) {
            this.thread = thread;
            this.stream = stream;
            this.plans = plans;
            this.slots = slots;
        }

        @Override
        public void run() {
            plans.values().forEach(Plan::close);
            plans.clear();
            for (FloatPointer p : slots) {
                if (p != null) {
                    p.close();
                }
            }
            dnnl_stream_destroy(stream);
            if (RELEASED_FOR_THREADS.size() >= 256) {   // the tests look at the latest few only
                RELEASED_FOR_THREADS.clear();
            }
            RELEASED_FOR_THREADS.add(thread);
            LOG.debug("oneDNN state of ended thread {} released", thread);
        }
    }

    /** An activation operand: a CPU buffer, reached through its native mirror, or a bare array, through staging. */
    private static final class Act {
        final CpuBuffer buffer;
        final float[] array;

        Act(CpuBuffer buffer) {
            this.buffer = buffer;
            this.array = null;
        }

        Act(float[] array) {
            this.buffer = null;
            this.array = array;
        }
    }

    /** Operand roles; each has a slot for its plain (NCHW / OIHW) and one for its oneDNN layout. */
    private enum Slot { X, W, Y, B }

    /**
     * One operand of a primitive: plain memory over the staging slot our arrays are copied into,
     * memory in the layout the primitive chose, and the reorder between them (none where the two
     * layouts are the same).
     */
    private static final class Operand {
        final int slot;
        final long plainFloats;
        final long chosenFloats;
        final dnnl_memory_desc_t chosenMd;
        final dnnl_memory plain = new dnnl_memory();
        final dnnl_memory chosen;
        final dnnl_primitive reorder;
        final dnnl_exec_arg_t reorderArgs;
        final ConvGeometry g;
        /** What the plain memory was last bound to. */
        FloatPointer boundPlain;
        /** Whether the last {@link #bindOutput} sent the result to a buffer's mirror (nothing left to store). */
        private boolean outputInMirror;

        Operand(ConvGeometry g, Slot role, dnnl_memory_desc_t plainMd, dnnl_memory_desc_t chosenMd, boolean input) {
            this.g = g;
            this.slot = 2 * role.ordinal();
            this.chosenMd = chosenMd;
            dnnl_engine e = engine();
            plainFloats = dnnl_memory_desc_get_size(plainMd) / Float.BYTES;
            check(dnnl_memory_create(plain, plainMd, e, null), "creating memory", g);
            if (dnnl_memory_desc_equal(plainMd, chosenMd) != 0) {
                chosen = plain;
                chosenFloats = plainFloats;
                reorder = null;
                reorderArgs = null;
            } else {
                chosen = new dnnl_memory();
                chosenFloats = dnnl_memory_desc_get_size(chosenMd) / Float.BYTES;
                check(dnnl_memory_create(chosen, chosenMd, e, null), "creating memory", g);
                dnnl_primitive_desc pd = new dnnl_primitive_desc();
                check(input ? dnnl_reorder_primitive_desc_create(pd, plainMd, e, chosenMd, e, null)
                        : dnnl_reorder_primitive_desc_create(pd, chosenMd, e, plainMd, e, null), "creating a reorder", g);
                reorder = new dnnl_primitive();
                check(dnnl_primitive_create(reorder, pd), "creating a reorder", g);
                check(dnnl_primitive_desc_destroy(pd), "releasing a reorder descriptor", g);
                reorderArgs = new dnnl_exec_arg_t(2);
                reorderArgs.position(0).arg(DNNL_ARG_FROM).memory(input ? plain : chosen);
                reorderArgs.position(1).arg(DNNL_ARG_TO).memory(input ? chosen : plain);
                reorderArgs.position(0);
            }
        }

        /**
         * Points the plain memory at plainData (a staging slot or a buffer's mirror) and the chosen one,
         * where it differs, at this thread's staging slot for it.
         */
        void bind(Context c, FloatPointer plainData) {
            boundPlain = plainData;
            check(dnnl_memory_set_data_handle(plain, plainData), "binding memory", g);
            if (chosen != plain) {
                check(dnnl_memory_set_data_handle(chosen, c.slot(slot + 1, chosenFloats)), "binding memory", g);
            }
        }

        /** Binds data (a buffer's up-to-date mirror, or an array copied into staging) and reorders it. */
        void load(Context c, Act data) {
            if (data.buffer != null) {
                bind(c, data.buffer.mirrorForRead());
            } else {
                FloatPointer s = c.slot(slot, plainFloats);
                s.position(0).put(data.array, 0, (int) plainFloats);
                bind(c, s);
            }
            reorderIn(c);
        }

        private void reorderIn(Context c) {
            if (reorder != null) {
                check(dnnl_primitive_execute(reorder, c.stream, 2, reorderArgs), "reordering an input", g);
            }
        }

        /**
         * As {@link #load}, where other, of the same role, has just loaded the same data: where their
         * chosen layouts agree, the data is already there.
         */
        void reloadAfter(Context c, Operand other) {
            bind(c, other.boundPlain);
            if (slot != other.slot || dnnl_memory_desc_equal(chosenMd, other.chosenMd) == 0) {
                reorderIn(c);
            }
        }

        /**
         * Before the primitive runs: binds where its result goes, data's mirror where data is a buffer
         * written over, else a staging slot that {@link #store} copies (or adds) from.
         */
        void bindOutput(Context c, Act data, boolean accumulate) {
            outputInMirror = data != null && data.buffer != null && !accumulate;
            bind(c, outputInMirror ? data.buffer.mirrorForWrite() : c.slot(slot, plainFloats));
        }

        /** After the primitive: reorders to the plain layout and, unless it went to a mirror, copies (or adds) into data. */
        void store(Context c, Act data, boolean accumulate) {
            if (reorder != null) {
                check(dnnl_primitive_execute(reorder, c.stream, 2, reorderArgs), "reordering an output", g);
                check(dnnl_stream_wait(c.stream), "waiting for a reorder", g);
            }
            if (outputInMirror) {
                return;
            }
            float[] out = data.buffer != null ? data.buffer.array() : data.array;
            FloatPointer p = c.slots[slot];
            int n = (int) plainFloats;
            if (!accumulate) {
                p.position(0).get(out, 0, n);
                return;
            }
            float[] tmp = c.heap(n);
            p.position(0).get(tmp, 0, n);
            for (int i = 0; i < n; i++) {
                out[i] += tmp[i];
            }
        }

        void close() {
            if (reorder != null) {
                dnnl_primitive_destroy(reorder);
                dnnl_memory_destroy(chosen);
            }
            dnnl_memory_destroy(plain);
        }
    }

    /** A primitive with its inputs and outputs, each bound to its oneDNN argument. */
    private static final class Step {
        final dnnl_primitive_desc pd;
        final dnnl_primitive primitive = new dnnl_primitive();
        final Operand[] ins;
        final Operand[] outs;
        final dnnl_exec_arg_t args;
        /** oneDNN's name for the code, with " on NHWC" where the backward layout rule put x there. */
        final String impl;
        final ConvGeometry g;

        /**
         * ins and outs with their DNNL_ARG_ numbers in the same order in inArgs and outArgs; note follows
         * the implementation's name in impl.
         */
        Step(ConvGeometry g, dnnl_primitive_desc pd, Operand[] ins, int[] inArgs, Operand[] outs, int[] outArgs,
             String note) {
            this.g = g;
            this.pd = pd;
            this.ins = ins;
            this.outs = outs;
            check(dnnl_primitive_create(primitive, pd), "creating a convolution", g);
            args = new dnnl_exec_arg_t(ins.length + outs.length);
            int k = 0;
            for (int i = 0; i < ins.length; i++) {
                args.position(k++).arg(inArgs[i]).memory(ins[i].chosen);
            }
            for (int i = 0; i < outs.length; i++) {
                args.position(k++).arg(outArgs[i]).memory(outs[i].chosen);
            }
            args.position(0);
            impl = implementation(pd, g) + note;
        }

        Operand in(int i) {
            return ins[i];
        }

        Operand out(int i) {
            return outs[i];
        }

        /** Runs the primitive; each output must have been bound ({@link Operand#bindOutput}). */
        void run(Context c) {
            check(dnnl_primitive_execute(primitive, c.stream, ins.length + outs.length, args), "running a convolution", g);
            check(dnnl_stream_wait(c.stream), "waiting for a convolution", g);
        }

        void close() {
            for (Operand o : ins) {
                o.close();
            }
            for (Operand o : outs) {
                o.close();
            }
            dnnl_primitive_destroy(primitive);
            dnnl_primitive_desc_destroy(pd);
        }
    }

    /** One geometry's primitives: the forward at once, each backward when first asked for. */
    private static final class Plan {
        final ConvGeometry g;
        final dnnl_memory_desc_t x;
        final dnnl_memory_desc_t w;
        final dnnl_memory_desc_t y;
        final dnnl_memory_desc_t b;
        final dnnl_memory_desc_t xAny;
        final dnnl_memory_desc_t wAny;
        final dnnl_memory_desc_t yAny;
        final dnnl_memory_desc_t xNhwc;
        final dnnl_memory_desc_t yNhwc;
        final long[] strides;
        final long[] padLeft;
        final long[] padRight;
        private Step forward;
        private Step backwardData;
        private Step backwardWeights;

        Plan(ConvGeometry g) {
            this.g = g;
            long[] xd = {g.batch(), g.inC(), g.inH(), g.inW()};
            long[] wd = {g.outC(), g.inC(), g.kH(), g.kW()};
            long[] yd = {g.batch(), g.outC(), g.outH(), g.outW()};
            x = md(xd, dnnl_nchw);
            w = md(wd, dnnl_oihw);
            y = md(yd, dnnl_nchw);
            b = md(new long[] {g.outC()}, dnnl_x);
            xAny = md(xd, dnnl_format_tag_any);
            wAny = md(wd, dnnl_format_tag_any);
            yAny = md(yd, dnnl_format_tag_any);
            xNhwc = md(xd, dnnl_nhwc);
            yNhwc = md(yd, dnnl_nhwc);
            strides = new long[] {g.strideH(), g.strideW()};
            padLeft = new long[] {g.padH(), g.padW()};
            // the far side pads what the output size needs (at most padLeft: floor division)
            padRight = new long[] {
                (long) (g.outH() - 1) * g.strideH() + g.kH() - g.inH() - g.padH(),
                (long) (g.outW() - 1) * g.strideW() + g.kW() - g.inW() - g.padW()};
            forward();
            LOG.debug("oneDNN convolution {}: forward {}", g, forward.impl);
        }

        private dnnl_primitive_desc create(dnnl_convolution_desc_t d, dnnl_primitive_desc hint, String what) {
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            check(dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(d), null, engine(), hint), what, g);
            return pd;
        }

        private dnnl_memory_desc_t query(dnnl_primitive_desc pd, int what) {
            return query(pd, what, 0);
        }

        /** The index-th memory of that kind (weights 1 is the bias). */
        private dnnl_memory_desc_t query(dnnl_primitive_desc pd, int what, int index) {
            return dnnl_primitive_desc_query_md(pd, what, index);
        }

        Step forward() {
            if (forward == null) {
                dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
                check(dnnl_convolution_forward_desc_init(d, dnnl_forward_training, dnnl_convolution_direct,
                        xAny, wAny, b, yAny, strides, padLeft, padRight), "describing the forward", g);
                dnnl_primitive_desc pd = create(d, null, "creating the forward");
                forward = new Step(g, pd,
                        new Operand[] {
                            new Operand(g, Slot.X, x, query(pd, dnnl_query_src_md), true),
                            new Operand(g, Slot.W, w, query(pd, dnnl_query_weights_md), true),
                            new Operand(g, Slot.B, b, query(pd, dnnl_query_weights_md, 1), true)},
                        new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS},
                        new Operand[] {new Operand(g, Slot.Y, y, query(pd, dnnl_query_dst_md), false)},
                        new int[] {DNNL_ARG_DST}, "");
            }
            return forward;
        }

        /**
         * The backward weights' (where weights) or data's primitive, on NHWC where nhwc unless oneDNN
         * has only its reference code for that: then on its own choice.
         */
        private dnnl_primitive_desc backwardPd(boolean weights, boolean nhwc) {
            dnnl_memory_desc_t xd = nhwc ? xNhwc : xAny;
            dnnl_memory_desc_t yd = nhwc ? yNhwc : yAny;
            String what = weights ? "the backward weights" : "the backward data";
            dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
            check(weights
                    ? dnnl_convolution_backward_weights_desc_init(d, dnnl_convolution_direct, xd, wAny, b, yd, strides,
                            padLeft, padRight)
                    : dnnl_convolution_backward_data_desc_init(d, dnnl_convolution_direct, xd, wAny, yd, strides,
                            padLeft, padRight), "describing " + what, g);
            dnnl_primitive_desc pd = create(d, forward().pd, "creating " + what);
            if (nhwc && implementation(pd, g).startsWith("ref")) {
                check(dnnl_primitive_desc_destroy(pd), "releasing a descriptor", g);
                return backwardPd(weights, false);
            }
            return pd;
        }

        /** " on NHWC" where x, as the primitive takes it, is in that layout; else nothing. */
        private String layoutNote(dnnl_memory_desc_t chosenX) {
            return dnnl_memory_desc_equal(chosenX, xNhwc) != 0 ? " on NHWC" : "";
        }

        Step backwardData() {
            if (backwardData == null) {
                dnnl_primitive_desc pd = backwardPd(false, backwardOnNhwc(g, false, vectorFloats()));
                backwardData = new Step(g, pd,
                        new Operand[] {
                            new Operand(g, Slot.Y, y, query(pd, dnnl_query_diff_dst_md), true),
                            new Operand(g, Slot.W, w, query(pd, dnnl_query_weights_md), true)},
                        new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS},
                        new Operand[] {new Operand(g, Slot.X, x, query(pd, dnnl_query_diff_src_md), false)},
                        new int[] {DNNL_ARG_DIFF_SRC}, layoutNote(query(pd, dnnl_query_diff_src_md)));
                LOG.debug("oneDNN convolution {}: backward data {}", g, backwardData.impl);
            }
            return backwardData;
        }

        Step backwardWeights() {
            if (backwardWeights == null) {
                dnnl_primitive_desc pd = backwardPd(true, backwardOnNhwc(g, true, vectorFloats()));
                backwardWeights = new Step(g, pd,
                        new Operand[] {
                            new Operand(g, Slot.X, x, query(pd, dnnl_query_src_md), true),
                            new Operand(g, Slot.Y, y, query(pd, dnnl_query_diff_dst_md), true)},
                        new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST},
                        new Operand[] {
                            new Operand(g, Slot.W, w, query(pd, dnnl_query_diff_weights_md), false),
                            new Operand(g, Slot.B, b, query(pd, dnnl_query_diff_weights_md, 1), false)},
                        new int[] {DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS}, layoutNote(query(pd, dnnl_query_src_md)));
                LOG.debug("oneDNN convolution {}: backward weights {}", g, backwardWeights.impl);
            }
            return backwardWeights;
        }

        void close() {
            for (Step s : new Step[] {forward, backwardData, backwardWeights}) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }
}
