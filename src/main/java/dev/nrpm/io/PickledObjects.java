package dev.nrpm.io;

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

    private final String source;
    private final ByteOrder order;
    private final IdentityHashMap<Object, Object> done = new IdentityHashMap<>();

    private PickledObjects(String source, ByteOrder order) {
        this.source = source;
        this.order = order;
    }

    static Object materialize(Object root, String source, ByteOrder order) {
        return new PickledObjects(source, order).convert(root, "", 0);
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
        String k = String.valueOf(key);
        return path.isEmpty() ? k : path + "/" + k;
    }

    private static String where(String path) {
        return path.isEmpty() ? "the top level" : CheckpointException.quote(path);
    }
}
