package dev.nrpm.io.torch;

import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.DType;
import dev.nrpm.io.HostTensor;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns what the unpickler built into the plain Java graph {@link TorchCheckpoint} hands out:
 * dict to LinkedHashMap, list to ArrayList, tuple to an unmodifiable List, set to LinkedHashSet,
 * int to Long (BigInteger when larger), float to Double, bytes to byte[], torch dtypes to
 * {@link DType}, tensors to {@link HostTensor} (gathered from their storages, which must be read by
 * now). Shared objects stay shared; a bare storage or a callable used as a value is refused.
 */
final class PickledObjects {
    /** Far deeper than any checkpoint; a hostile pickle must not exhaust the Java stack. */
    private static final int MAX_DEPTH = 256;

    /** Keys print at most this long in paths: shared tuples nested in tuples print exponentially. */
    private static final int MAX_KEY_TEXT = 60;
    /** Paths in messages keep at most this many characters. */
    private static final int MAX_PATH_TEXT = 300;

    private final String source;
    private final ByteOrder order;
    private final IdentityHashMap<Object, Object> done = new IdentityHashMap<>();
    private long budget;

    private PickledObjects(String source, ByteOrder order, long budget) {
        this.source = source;
        this.order = order;
        this.budget = budget;
    }

    static Object materialize(Object root, String source, ByteOrder order) {
        return materialize(root, source, order, Long.MAX_VALUE);
    }

    /**
     * As above, gathering at most maxBytes of tensor data in all: an expanded view (stride 0) in a
     * file of a few kilobytes can describe gigabytes, refused here before anything is allocated.
     */
    static Object materialize(Object root, String source, ByteOrder order, long maxBytes) {
        return new PickledObjects(source, order, maxBytes).convert(root, "", 0);
    }

    private Object convert(Object o, String path, int depth) {
        if (depth > MAX_DEPTH) {
            throw new CheckpointException(source, "objects nested deeper than " + MAX_DEPTH + " levels at "
                    + where(path));
        }
        if (o == null || o instanceof String || o instanceof Boolean || o instanceof Double || o instanceof Long
                || o instanceof BigInteger || o instanceof DType) {
            return o;
        }
        if (o instanceof Integer || o instanceof Short || o instanceof Byte) {
            return ((Number) o).longValue();
        }
        Object seen = done.get(o);
        if (seen != null) {
            return seen;
        }
        if (o instanceof byte[]) {
            return remember(o, o);
        }
        if (o instanceof PendingTensor) {
            long bytes = ((PendingTensor) o).byteSize();
            if (bytes > budget) {
                throw new CheckpointException(source, "tensor at " + where(path) + " would take " + bytes
                        + " bytes, more than this load allows (" + budget + " bytes left: the model's size bounds it);"
                        + " not a checkpoint of this model");
            }
            budget -= bytes;
            try {
                return remember(o, ((PendingTensor) o).gather(order));
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(source, "tensor at " + where(path) + ": " + e.getMessage(), e);
            }
        }
        if (o instanceof Map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            remember(o, out);
            for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
                Object key = convert(e.getKey(), path, depth + 1);
                out.put(key, convert(e.getValue(), join(path, key), depth + 1));
            }
            return out;
        }
        if (o instanceof Object[] || o instanceof List) {
            boolean tuple = o instanceof Object[];
            List<?> in = tuple ? Arrays.asList((Object[]) o) : (List<?>) o;
            List<Object> out = new ArrayList<>(in.size());
            Object result = tuple ? Collections.unmodifiableList(out) : out;
            remember(o, result);
            for (int i = 0; i < in.size(); i++) {
                out.add(convert(in.get(i), join(path, i), depth + 1));
            }
            return result;
        }
        if (o instanceof Set) {
            Set<Object> out = new LinkedHashSet<>();
            remember(o, out);
            for (Object item : (Set<?>) o) {
                out.add(convert(item, path, depth + 1));
            }
            return out;
        }
        if (o instanceof TorchStorage) {
            throw new CheckpointException(source, "a bare storage (not a tensor) at " + where(path)
                    + " is not supported");
        }
        throw new CheckpointException(source, "unsupported object " + TorchGlobals.typeName(o) + " at " + where(path));
    }

    private Object remember(Object from, Object to) {
        done.put(from, to);
        return to;
    }

    private static String join(String path, Object key) {
        String k = brief(key);
        if (path.length() > MAX_PATH_TEXT) {
            return path; // already cut: keep the message short whatever the depth
        }
        String joined = path.isEmpty() ? k : path + "/" + k;
        return joined.length() > MAX_PATH_TEXT ? joined.substring(0, MAX_PATH_TEXT) + "..." : joined;
    }

    /** A key's text, at most MAX_KEY_TEXT characters, without ever expanding all of a nested key. */
    static String brief(Object key) {
        StringBuilder b = new StringBuilder();
        render(key, b);
        return b.length() > MAX_KEY_TEXT ? b.substring(0, MAX_KEY_TEXT) + "..." : b.toString();
    }

    private static void render(Object o, StringBuilder b) {
        if (b.length() > MAX_KEY_TEXT) {
            return;
        }
        if (o instanceof List<?> list) {
            b.append('(');
            for (int i = 0; i < list.size() && b.length() <= MAX_KEY_TEXT; i++) {
                b.append(i == 0 ? "" : ", ");
                render(list.get(i), b);
            }
            b.append(')');
        } else if (o instanceof Map || o instanceof Set) {
            b.append(o instanceof Map ? "{...}" : "set(...)");
        } else {
            String s = String.valueOf(o);
            b.append(s, 0, Math.min(s.length(), MAX_KEY_TEXT + 1));
        }
    }

    private static String where(String path) {
        return path.isEmpty() ? "the top level" : CheckpointException.quote(path);
    }
}
