package dev.nrpm.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The three places that name a kernel agree: its definition in kernels/ (NRPM_KERNEL void name(...)),
 * the CUDA backend's launches (launch1d/2d/3d/SplitK("name", grid..., args...)) and the ABI table of
 * kernels/README.md. Same set of names, same number of parameters everywhere: a launch name that
 * nothing defines, or an argument too many, would otherwise show only on a GPU.
 */
class KernelAbiTest {
    private static final Path KERNELS = Path.of("kernels");
    private static final Path BACKEND = Path.of("src/main/java/dev/nrpm/backend/cuda");

    /** Name -> parameter count of every kernel entry point in kernels/. */
    static Map<String, Integer> definitions() throws IOException {
        Map<String, Integer> out = new TreeMap<>();
        Pattern def = Pattern.compile("NRPM_KERNEL\\s+void\\s+(?:NRPM_LAUNCH_BOUNDS\\s*\\([^)]*\\)\\s*)?(\\w+)\\s*\\(");
        try (Stream<Path> files = Files.list(KERNELS)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh"))::iterator) {
                String text = stripComments(Files.readString(f));
                Matcher m = def.matcher(text);
                while (m.find()) {
                    if (text.substring(Math.max(0, m.start() - 8), m.start()).contains("define")) {
                        continue;
                    }
                    List<String> params = arguments(text, m.end() - 1);
                    Integer was = out.put(m.group(1), params.size());
                    assertTrue(was == null || was == params.size(), m.group(1) + " defined twice, differently");
                }
            }
        }
        return out;
    }

    /** Name -> kernel argument count of every launch with a literal name in the CUDA backend (all its files). */
    static Map<String, Integer> launches() throws IOException {
        Map<String, Integer> out = new TreeMap<>();
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(BACKEND)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java")).sorted()::iterator) {
                all.append(stripComments(Files.readString(f))).append('\n');
            }
        }
        String text = all.toString();
        Matcher m = Pattern.compile("launch(1d|2d|3d|SplitK)\\(").matcher(text);
        Matcher literal = Pattern.compile("\"(\\w+)\"").matcher("");
        while (m.find()) {
            List<String> args = arguments(text, m.end() - 1);
            if (args.isEmpty() || !args.get(0).contains("\"")) {
                continue; // the helpers themselves, passing a kernel variable on
            }
            int kernelArgs = switch (m.group(1)) {
                case "1d" -> args.size() - 2;          // name, n
                case "2d" -> args.size() - 3;          // name, gx, gy
                case "3d" -> args.size() - 4;          // name, gx, gy, gz
                default -> args.size() - 6 + 2;       // name, gx, gy, rows, grad, size; then (grad, partial) appended
            };
            literal.reset(args.get(0)); // a name, or a choice of names (cond ? "a" : "b")
            while (literal.find()) {
                Integer was = out.put(literal.group(1), kernelArgs);
                assertTrue(was == null || was == kernelArgs, literal.group(1) + " is launched with " + was
                        + " and with " + kernelArgs + " arguments");
            }
        }
        return out;
    }

    /** Name -> parameter count of every entry point in kernels/README.md's ABI table. */
    static Map<String, Integer> documented() throws IOException {
        Map<String, Integer> out = new TreeMap<>();
        Matcher m = Pattern.compile("`(\\w+)\\(([^`]*)\\)`").matcher("");
        for (String line : Files.readAllLines(KERNELS.resolve("README.md"))) {
            if (!line.startsWith("|")) {
                continue;
            }
            String[] cells = line.split("\\|");
            if (cells.length < 3) {
                continue;
            }
            m.reset(cells[2]);
            if (m.find()) {
                String name = m.group(1);
                String params = m.group(2).trim();
                Matcher as = Pattern.compile("as `(\\w+)`").matcher(cells[2]);
                if (params.equals("...") && as.find()) {
                    out.put(name, out.get(as.group(1))); // "`b(...)`, as `a`": a's parameters
                } else {
                    out.put(name, params.isEmpty() ? 0 : arguments("(" + params + ")", 0).size());
                }
            }
        }
        return out;
    }

    @Test
    void kernelsLaunchesAndTheAbiTableAgree() throws IOException {
        Map<String, Integer> defs = definitions();
        Map<String, Integer> calls = launches();
        Map<String, Integer> docs = documented();
        assertTrue(defs.size() > 20 && calls.size() > 20, "found " + defs.size() + " kernels, " + calls.size() + " launches");
        assertEquals(defs.keySet(), calls.keySet(), "kernels in kernels/ vs launches in backend/cuda");
        assertEquals(defs.keySet(), docs.keySet(), "kernels in kernels/ vs kernels/README.md's ABI table");
        assertEquals(defs, calls, "parameter counts: kernels vs launches");
        assertEquals(defs, docs, "parameter counts: kernels vs kernels/README.md");
    }

    /** The top-level comma-separated items between the parenthesis at open and its match. */
    static List<String> arguments(String text, int open) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                int end = text.indexOf('"', i + 1);
                cur.append(text, i, end + 1);
                i = end;
                continue;
            }
            if (c == '(' || c == '[' || c == '{' || c == '<' && depth > 0 && isTemplate(text, i)) {
                if (depth++ == 0) {
                    continue;
                }
            } else if (c == ')' || c == ']' || c == '}' || c == '>' && depth > 1 && cur.toString().contains("<")) {
                if (--depth == 0) {
                    if (!cur.toString().isBlank()) {
                        out.add(cur.toString().trim());
                    }
                    return out;
                }
            } else if (c == ',' && depth == 1) {
                out.add(cur.toString().trim());
                cur.setLength(0);
                continue;
            }
            cur.append(c);
        }
        throw new IllegalStateException("unbalanced parentheses after index " + open);
    }

    private static boolean isTemplate(String text, int i) {
        return i > 0 && Character.isLetter(text.charAt(i - 1));
    }

    private static String stripComments(String s) {
        return s.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
    }
}
