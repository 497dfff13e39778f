package dev.nrpm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.WeightFunction;
import dev.nrpm.testing.ChildProcess;
import dev.nrpm.testing.TestRandom;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every float32 implementation of the weight functions against WeightFunction's float64 definition,
 * at the awkward residuals: r = 0 and -0, tiny and huge r, and a few ulps either side of every
 * clamp (Huber's |r| + eps = delta, MCP's 1/a - 1/gamma = eps, HM's v = eps and v = 1), for tiny to
 * large eps, plus random residuals. Implementations: the CPU's scalar helpers and its lane loops
 * (NrpmLanes), the materialized formulation's (MaterializedNrpm, ND4J), and the GPU's nrpm_wq
 * (kernels/nrpm_fused.cuh compiled for the host by g++).
 *
 * <p>A float32 value passes when it lies within the definition's range over the residuals whose
 * a = |r| + eps is within a factor 1 +- 4e-6 of this one's, give or take 2e-5 relative: float32
 * rounds a (a residual much smaller than eps vanishes in it), which moves a clamp's switch point by
 * a few ulps of a, and at a switch w' jumps (to 0), so either side's value is right there.
 */
class WeightFunctionTableTest {
    private static final float[] EPS = {NrpmSpec.MIN_EPS, 1e-6f, 1e-3f, 0.5f, 2f};
    private static final float GAMMA = 4f;
    private static final float DELTA = 0.5f;
    private static final double WINDOW = 4e-6;
    private static final double REL = 2e-5;

    private final TestRandom rnd = new TestRandom();

    private record Case(WeightFunction f, float eps, float r) {
        NrpmSpec spec() {
            return new NrpmSpec(1, eps, f, GAMMA, DELTA);
        }
    }

    private List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (WeightFunction f : WeightFunction.values()) {
            for (float eps : EPS) {
                double c = DELTA / (GAMMA - DELTA);
                // the values of a = |r| + eps where a clamp switches
                double[] switches = {DELTA, 1 / (eps + 1 / GAMMA), GAMMA / (1 + eps / c), GAMMA / (1 + 1 / c)};
                List<Float> rs = new ArrayList<>(List.of(0f, -0f, 1e-30f, 1e-3f, 0.25f, 1f, 1e5f, 1e30f));
                for (double a : switches) {
                    float r = (float) (a - eps);
                    if (r > 0) {
                        for (int d = -3; d <= 3; d++) {
                            float near = r;
                            for (int i = 0; i < Math.abs(d); i++) {
                                near = d < 0 ? Math.nextDown(near) : Math.nextUp(near);
                            }
                            rs.add(near);
                        }
                    }
                }
                for (int i = 0; i < 40; i++) {
                    rs.add((float) (rnd.gaussian() * Math.pow(10, rnd.between(-4, 4))));
                }
                for (float r : rs) {
                    out.add(new Case(f, eps, r));
                    out.add(new Case(f, eps, -r));
                }
            }
        }
        return out;
    }

    /** Checks v against the float64 definition (weight or derivative) near c.r; null when fine. */
    private static String mismatch(String impl, Case c, boolean derivative, float v) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        double a = Math.abs((double) c.r) + c.eps;
        for (double scale : new double[] {1 - WINDOW, 1, 1 + WINDOW}) {
            double r = Math.copySign(Math.max(0, a * scale - c.eps), c.r);
            double d = derivative ? c.f.derivative(r, c.eps, GAMMA, DELTA) : c.f.weight(r, c.eps, GAMMA, DELTA);
            lo = Math.min(lo, d);
            hi = Math.max(hi, d);
        }
        double slack = REL * Math.max(Math.abs(lo), Math.abs(hi)) + 1e-37;
        if (Float.isFinite(v) && v >= lo - slack && v <= hi + slack) {
            return null;
        }
        return impl + " " + (derivative ? "w'" : "w") + " of " + c.f + " eps " + c.eps + " at r " + c.r + " ("
                + Float.toHexString(c.r) + "): " + v + ", the definition gives [" + lo + ", " + hi + "]";
    }

    @Test
    void cpuImplementationsMatchTheDefinition() {
        List<String> bad = new ArrayList<>();
        for (Case c : cases()) {
            NrpmSpec s = c.spec();
            float[] one = {1f};
            float[] zero = {0f};
            float[] s0 = {0f};
            float[] s1 = {0f};
            float[] p = {0f};
            float[] q = {0f};
            NrpmLanes.term(s, one, c.r, zero, s0, s1, 1);                 // r = 1 * x - 0
            NrpmLanes.termDerivatives(s, one, c.r, zero, p, q, 1);
            for (String m : new String[] {
                mismatch("NrpmLanes.weight", c, false, NrpmLanes.weight(s, c.r)),
                mismatch("NrpmLanes.derivative", c, true, NrpmLanes.derivative(s, c.r)),
                mismatch("NrpmLanes.term", c, false, s0[0]),
                mismatch("NrpmLanes.termDerivatives", c, true, q[0])}) {
                if (m != null) {
                    bad.add(m);
                }
            }
        }
        assertTrue(bad.isEmpty(), bad.size() + " mismatches (" + rnd.tag() + "), first:\n"
                + String.join("\n", bad.subList(0, Math.min(8, bad.size()))));
    }

    @Test
    void materializedFormulationMatchesTheDefinition() {
        List<String> bad = new ArrayList<>();
        for (Case c : cases()) {
            float a = Math.abs(c.r) + c.eps;              // as MaterializedNrpm forms it, in float32
            float w = MaterializedNrpm.weights(c.spec(), org.nd4j.linalg.factory.Nd4j.create(new float[] {a}, new long[] {1}, 'c'))
                    .getFloat(0);
            String m = mismatch("MaterializedNrpm.weights", c, false, w);
            if (m != null) {
                bad.add(m);
            }
        }
        assertTrue(bad.isEmpty(), bad.size() + " mismatches (" + rnd.tag() + "), first:\n"
                + String.join("\n", bad.subList(0, Math.min(8, bad.size()))));
    }

    @Test
    void gpuImplementationMatchesTheDefinition(@TempDir Path dir) throws IOException, InterruptedException {
        Path source = Path.of("src/test/cpp/weight_table.cpp");
        Assumptions.assumeTrue(Files.isRegularFile(source), () -> source + " not found (run from the repository root)");
        Path exe = dir.resolve("weight_table");
        ChildProcess.Result build;
        try {
            build = ChildProcess.run(new ProcessBuilder("g++", "-std=c++17", "-O2", "-DNRPM_EMU", "-I", "kernels",
                    "-Wno-unknown-pragmas", "-ffp-contract=off", "-o", exe.toString(), source.toString()),
                    Duration.ofMinutes(2));
        } catch (IOException e) {
            Assumptions.abort("no g++ here: " + e.getMessage());
            return;
        }
        assertEquals(0, build.exitCode(), "g++ failed:\n" + build.output());

        List<Case> cases = cases();
        StringBuilder in = new StringBuilder();
        for (Case c : cases) {
            in.append(c.f.code()).append(' ').append(Float.toHexString(c.eps)).append(' ')
                    .append(Float.toHexString(GAMMA)).append(' ').append(Float.toHexString(DELTA)).append(' ')
                    .append(Float.toHexString(c.r)).append('\n');
        }
        Path input = Files.writeString(dir.resolve("cases.txt"), in);
        ChildProcess.Result run = ChildProcess.run(new ProcessBuilder(exe.toString()).redirectInput(input.toFile()),
                Duration.ofMinutes(1));
        String out = run.output();
        assertEquals(0, run.exitCode(), out);
        String[] lines = out.split("\n");
        assertEquals(cases.size(), lines.length, "one line per case");
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String[] wq = lines[i].trim().split(" ");
            Case c = cases.get(i);
            for (String m : new String[] {mismatch("nrpm_wq", c, false, parse(wq[0])),
                mismatch("nrpm_wq", c, true, parse(wq[1]))}) {
                if (m != null) {
                    bad.add(m);
                }
            }
        }
        assertTrue(bad.isEmpty(), bad.size() + " mismatches (" + rnd.tag() + "), first:\n"
                + String.join("\n", bad.subList(0, Math.min(8, bad.size()))));
    }

    /** printf's %a: hex floats as Java reads them, and inf / nan. */
    private static float parse(String s) {
        switch (s) {
            case "inf": return Float.POSITIVE_INFINITY;
            case "-inf": return Float.NEGATIVE_INFINITY;
            case "nan": case "-nan": return Float.NaN;
            default: return Float.parseFloat(s);
        }
    }
}
