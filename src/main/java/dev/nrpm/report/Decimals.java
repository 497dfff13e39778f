package dev.nrpm.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Arrays;

/** Number text for the reports: exact for files, short for the table. */
final class Decimals {
    private Decimals() {
    }

    /**
     * The digits of Double.toString, which read back as exactly {@code d} (and are the shortest
     * such decimal from JDK 19 on), written without an exponent between 1e-10 and 1e16, and always
     * with a '.' so that readers see a float. Outside that range the plain form would be a long run of zeros, so the exponent
     * stays ("1.0E-12", valid JSON and CSV).
     */
    static String exact(double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("not a finite number: " + d);
        }
        return plain(Double.toString(d), Math.abs(d));
    }

    /** As {@link #exact(double)} for a float: its own shortest repr, not the widened double's digits. */
    static String exact(float f) {
        if (!Float.isFinite(f)) {
            throw new IllegalArgumentException("not a finite number: " + f);
        }
        return plain(Float.toString(f), Math.abs(f));
    }

    private static String plain(String repr, double magnitude) {
        if (repr.indexOf('E') < 0 || magnitude < 1e-10 || magnitude >= 1e16) {
            return repr;
        }
        String s = new BigDecimal(repr).stripTrailingZeros().toPlainString();
        return s.indexOf('.') < 0 ? s + ".0" : s;
    }

    /**
     * Short labels for a row of values (table column headers): three significant digits, more for
     * a value that three would print the same as a different value, and zeros dropped ("0.1",
     * not "0.100"). So 8/255 stays "0.0314" even when 0.1 and 0.1000001 need seven digits.
     */
    static String[] compact(double[] values) {
        int n = values.length;
        int[] digits = new int[n];
        Arrays.fill(digits, 3);
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (values[i] == values[j]) {
                    continue; // also -0.0 and 0.0: the same budget, printed the same
                }
                int d = 3;
                while (d < 17 && rounded(values[i], d).equals(rounded(values[j], d))) {
                    d++;
                }
                digits[i] = Math.max(digits[i], d);
                digits[j] = Math.max(digits[j], d);
            }
        }
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            out[i] = rounded(values[i], digits[i]);
        }
        if (!distinctAsValues(values, out)) {
            // values printed at different precisions can in rare cases meet; one precision for all cannot
            int all = Arrays.stream(digits).max().orElse(3);
            for (int i = 0; i < n; i++) {
                out[i] = rounded(values[i], all);
            }
        }
        return out;
    }

    private static boolean distinctAsValues(double[] values, String[] text) {
        for (int i = 0; i < values.length; i++) {
            for (int j = i + 1; j < values.length; j++) {
                if (values[i] != values[j] && text[i].equals(text[j])) {
                    return false;
                }
            }
        }
        return true;
    }

    /** v to the given significant digits, without exponent or trailing zeros ("0.0314", "100"). */
    static String rounded(double v, int digits) {
        if (v == 0) {
            return "0";
        }
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        return BigDecimal.valueOf(v).round(new MathContext(digits, RoundingMode.HALF_EVEN))
                .stripTrailingZeros().toPlainString();
    }
}
