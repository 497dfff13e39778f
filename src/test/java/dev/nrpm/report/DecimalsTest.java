package dev.nrpm.report;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecimalsTest {
    @Test
    void exactReadsBackAsTheSameDoubleWithoutExponent() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            double d = Math.scalb(r.nextDouble(), r.nextInt(-33, 53)) * (r.nextBoolean() ? 1 : -1);
            String s = Decimals.exact(d);
            assertEquals(d, Double.parseDouble(s), s);
            if (Math.abs(d) >= 1e-10 && Math.abs(d) < 1e16) {
                assertFalse(s.contains("E"), s);
                assertTrue(s.contains("."), s);
            }
        }
    }

    @Test
    void exactKeepsTheShortestForm() {
        assertEquals("0.0", Decimals.exact(0.0));
        assertEquals("0.05", Decimals.exact(0.05));
        assertEquals("0.03137254901960784", Decimals.exact(8 / 255.0));
        assertEquals("0.00001", Decimals.exact(1e-5));
        assertEquals("0.000005", Decimals.exact(1 / 200_000.0));
        assertEquals("12345678.0", Decimals.exact(12_345_678.0));
        assertEquals("1.0E-12", Decimals.exact(1e-12)); // a run of zeros would not be easier to read
        assertEquals("0.3", Decimals.exact(0.3f)); // not 0.30000001192092896
        assertThrows(IllegalArgumentException.class, () -> Decimals.exact(Double.NaN));
    }

    @Test
    void compactUsesMoreDigitsOnlyWhereNeeded() {
        assertArrayEquals(new String[] {"0", "0.00784", "0.0314", "0.1", "2"},
                Decimals.compact(new double[] {0, 2 / 255.0, 8 / 255.0, 0.1, 2}));
        String[] close = Decimals.compact(new double[] {0.1, 0.1001, 0.10001});
        assertArrayEquals(new String[] {"0.1", "0.1001", "0.10001"}, close);
        // only the values that collide get more digits
        assertArrayEquals(new String[] {"0.0314", "0.1", "0.1000001"}, Decimals.compact(new double[] {8 / 255.0, 0.1, 0.1000001}));
        for (double[] v : new double[][] {{0.1, 0.10004, 0.1000049}, {0.12, 0.11999999, 0.1200001}, {1e-9, 1.0000001e-9}}) {
            assertEquals(v.length, java.util.Arrays.stream(Decimals.compact(v)).distinct().count(), java.util.Arrays.toString(Decimals.compact(v)));
        }
        // equal values may print equal, and -0.0 is 0
        assertArrayEquals(new String[] {"0", "0", "0.5", "0.5"}, Decimals.compact(new double[] {0.0, -0.0, 0.5, 0.5}));
    }
}
