package dev.nrpm.ops;

import dev.nrpm.error.NrpmException;
import dev.nrpm.error.ShapeException;
import dev.nrpm.tensor.Tensor;

/** Argument checks shared by the ops; messages name the site (layer) when one is given. */
final class Checks {
    private Checks() {
    }

    static String at(String site) {
        return site == null || site.isEmpty() ? "" : site + ": ";
    }

    static void rank(String site, String what, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new ShapeException(at(site) + what + " must have rank " + rank + ", got shape " + t.shapeString());
        }
    }

    static void dim(String site, String what, Tensor t, int axis, int expected) {
        if (t.dim(axis) != expected) {
            throw new ShapeException(at(site) + what + " has shape " + t.shapeString() + ", expected dimension "
                    + axis + " to be " + expected);
        }
    }

    /** A layer's bias: absent, or one value per output. */
    static void bias(String site, Tensor b, int outputs) {
        if (b != null) {
            rank(site, "bias", b, 1);
            dim(site, "bias", b, 0, outputs);
        }
    }

    static void sameShape(String site, Tensor a, Tensor b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new ShapeException(at(site) + "shapes differ: " + a.shapeString() + " and " + b.shapeString());
        }
    }

    static void sameBackend(Tensor... ts) {
        Tensor first = null;
        for (Tensor t : ts) {
            if (t == null) {
                continue;
            }
            if (first == null) {
                first = t;
            } else if (t.backend() != first.backend()) {
                throw new NrpmException("tensors on different backends (" + first.backend().name() + ", "
                        + t.backend().name() + ") used in one operation");
            }
        }
    }

    /** NaN or infinite values in t fail (possibly at the backend's next download: Backend.requireFinite). */
    static void finite(String site, String what, Tensor t) {
        t.backend().requireFinite(t.buffer(), t.size(), at(site) + what);
    }
}
