package dev.nrpm.tensor;

import dev.nrpm.error.ShapeException;
import java.util.Arrays;

/** Helpers for shapes, which are plain int arrays (row-major, outermost first). */
public final class Shape {
    private Shape() {
    }

    public static long size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new ShapeException("negative dimension in shape " + str(shape));
            }
            n = Math.multiplyExact(n, (long) d);
        }
        return n;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** Product of dims [from, to). */
    public static int prod(int[] shape, int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) {
            n *= shape[i];
        }
        return Math.toIntExact(n);
    }

    /** Resolves one -1 in a requested shape against a total size. */
    public static int[] resolve(int[] requested, long total) {
        int[] out = requested.clone();
        int free = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (free >= 0) {
                    throw new ShapeException("at most one -1 allowed in shape " + str(requested));
                }
                free = i;
            } else if (out[i] < 0) {
                throw new ShapeException("invalid dimension " + out[i] + " in shape " + str(requested));
            } else {
                known *= out[i];
            }
        }
        if (free >= 0) {
            if (known == 0 || total % known != 0) {
                throw new ShapeException("cannot reshape " + total + " elements to " + str(requested));
            }
            out[free] = Math.toIntExact(total / known);
        } else if (known != total) {
            throw new ShapeException("cannot reshape " + total + " elements to " + str(requested));
        }
        return out;
    }
}
