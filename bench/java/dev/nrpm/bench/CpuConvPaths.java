package dev.nrpm.bench;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.backend.cpu.CpuBackend;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The CPU backend's LPM convolution paths side by side, per call of the backend primitive (no
 * tensors, no autograd): "cpu" (oneDNN where its build loaded, with the gx-only rule of
 * CpuBackend) against "own" (im2col + OpenBLAS and FewChannelConv, what a CPU without AVX2 runs),
 * forward, and backward for gx only (an attack step), gx and gw (training), gw only (a first layer).
 * Best of the timed calls after warm-up, ms; the two paths alternate shape by shape.
 *
 * <pre>
 * java -cp 'target/nrpm.jar:target/lib/*' dev.nrpm.bench.CpuConvPaths [--calls 30] [--batch 128]
 * </pre>
 */
public final class CpuConvPaths {
    private CpuConvPaths() {
    }

    /** B is replaced by --batch: bench/gpu/torch_nrpm.py's tiny-ResNet shapes and LeNet's. */
    private static final int[][] SHAPES = {
        {3, 32, 32, 8, 3, 1, 1}, {8, 32, 32, 8, 3, 1, 1}, {8, 32, 32, 16, 3, 2, 1}, {16, 16, 16, 32, 3, 2, 1},
        {32, 8, 8, 64, 3, 2, 1}, {1, 28, 28, 10, 5, 1, 0}, {10, 12, 12, 20, 5, 1, 0},
    };

    public static void main(String[] args) {
        int calls = 30;
        int batch = 128;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--calls" -> calls = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("CpuConvPaths: unknown argument " + args[i] + " (--calls N, --batch B)");
                    System.exit(2);
                }
            }
        }
        Backend[] paths = {Backends.get("cpu"), CpuBackend.withOwnConvolutions("own")};
        System.out.println("| layer (C:H:W:O:k:stride:pad) | path | forward | gx | gx + gw | gw |");
        System.out.println("|---|---|---|---|---|---|");
        SplittableRandom rnd = new SplittableRandom(7);
        for (int[] s : SHAPES) {
            ConvGeometry g = ConvGeometry.square(batch, s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
            for (Backend be : paths) {
                double[] ms = time(be, g, rnd, calls);
                System.out.printf(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %.2f |%n",
                        String.join(":", Arrays.stream(s).mapToObj(Integer::toString).toArray(String[]::new)),
                        be.name(), ms[0], ms[1], ms[2], ms[3]);
            }
        }
    }

    private static Buffer random(Backend be, SplittableRandom rnd, long n) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return be.upload(v);
    }

    /** Best ms of forward (with a bias), gx, gx + gw (+ gb), gw (+ gb) over the calls after a quarter as warm-up. */
    private static double[] time(Backend be, ConvGeometry g, SplittableRandom rnd, int calls) {
        Buffer x = random(be, rnd, g.inputSize());
        Buffer w = random(be, rnd, g.weightSize());
        Buffer b = random(be, rnd, g.outC());
        Buffer gy = random(be, rnd, g.outputSize());
        Buffer y = be.allocate(g.outputSize());
        Buffer gx = be.allocate(g.inputSize());
        Buffer gw = be.allocate(g.weightSize());
        Buffer gb = be.allocate(g.outC());
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        for (int it = 0; it < calls; it++) {
            boolean timed = it >= calls / 4;
            for (int op = 0; op < 4; op++) {
                long t = System.nanoTime();
                switch (op) {
                    case 0 -> be.conv2d(g, x, w, b, y);
                    case 1 -> be.conv2dBackward(g, x, w, gy, gx, false, null, null);
                    case 2 -> be.conv2dBackward(g, x, w, gy, gx, false, gw, gb);
                    default -> be.conv2dBackward(g, x, w, gy, null, false, gw, gb);
                }
                if (timed) {
                    best[op] = Math.min(best[op], (System.nanoTime() - t) / 1e6);
                }
            }
        }
        for (Buffer buf : new Buffer[] {x, w, b, gy, y, gx, gw, gb}) {
            buf.close();
        }
        return best;
    }
}
