package dev.nrpm.io.torch;

import dev.nrpm.io.CheckpointException;
import dev.nrpm.io.DType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The allowlist of Python globals a PyTorch checkpoint may name, and what each becomes in Java.
 * This is the security boundary of {@link TorchReader}: the restricted unpickler resolves every
 * GLOBAL / STACK_GLOBAL / INST through {@link #resolve} and nothing else, so a name that is not
 * listed here (os.system, builtins.eval, a model class) stops the read before anything is built.
 *
 * <p>Allowed: torch's tensor rebuild functions, storage classes and dtypes, OrderedDict, set and
 * frozenset, and the two ways protocol 2 spells bytes (_codecs.encode, bytearray). Plain dicts,
 * lists, tuples, numbers, strings and None/True/False need no global at all.
 */
final class TorchGlobals {
    /** A storage class global: the dtype it fixes, or null for untyped byte storages. */
    record StorageType(String name, DType dtype) {
    }

    /** Known torch dtypes we cannot represent: named in the error instead of "forbidden". */
    private static final Set<String> UNSUPPORTED_DTYPES = Set.of("complex32", "complex64", "complex128",
            "cfloat", "cdouble", "chalf", "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2",
            "float8_e4m3fnuz", "float8_e5m2fnuz", "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "bits8",
            "bits16", "bits1x8", "bits2x4", "bits4x2");
    private static final Set<String> UNSUPPORTED_STORAGES = Set.of("ComplexFloatStorage", "ComplexDoubleStorage",
            "QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage");

    private static final Map<String, Object> ALLOWED = new LinkedHashMap<>();

    static {
        callable("collections", "OrderedDict", TorchGlobals::orderedDict);
        for (String builtins : new String[] {"builtins", "__builtin__"}) {
            callable(builtins, "set", args -> newSet(args, "set"));
            callable(builtins, "frozenset", args -> Collections.unmodifiableSet(newSet(args, "frozenset")));
            callable(builtins, "bytearray", TorchGlobals::bytearray);
        }
        callable("_codecs", "encode", TorchGlobals::codecsEncode);
        callable("torch._utils", "_rebuild_tensor", args -> rebuildTensor("_rebuild_tensor", args, 4, 4, -1));
        callable("torch._utils", "_rebuild_tensor_v2", args -> rebuildTensor("_rebuild_tensor_v2", args, 6, 7, -1));
        callable("torch._utils", "_rebuild_tensor_v3", args -> rebuildTensor("_rebuild_tensor_v3", args, 7, 8, 6));
        callable("torch._utils", "_rebuild_parameter", TorchGlobals::rebuildParameter);
        for (DType d : DType.values()) {
            ALLOWED.put("torch." + d.storageClass(), new StorageType(d.storageClass(), d));
            ALLOWED.put("torch." + d.torchName(), d);
        }
        for (String untyped : new String[] {"torch.UntypedStorage", "torch.storage.UntypedStorage",
            "torch.TypedStorage", "torch.storage.TypedStorage"}) {
            ALLOWED.put(untyped, new StorageType(untyped.substring(untyped.lastIndexOf('.') + 1), null));
        }
        for (String alias : new String[] {"float", "double", "half", "long", "int", "short"}) {
            ALLOWED.put("torch." + alias, DType.fromTorchName(alias));
        }
    }

    private TorchGlobals() {
    }

    private static void callable(String module, String name, java.util.function.Function<Object[], Object> fn) {
        String qualified = module + "." + name;
        ALLOWED.put(qualified, new PickleCallable() {
            @Override
            public String qualifiedName() {
                return qualified;
            }

            @Override
            public Object call(Object[] args) {
                return fn.apply(args);
            }

            @Override
            public String toString() {
                return qualified;
            }
        });
    }

    /**
     * What an allowlisted global stands for: a {@link PickleCallable}, a {@link StorageType} or a
     * {@link DType}.
     *
     * @return null when the global is not allowed (the caller raises the error, naming the file)
     */
    static Object resolve(String module, String name) {
        return ALLOWED.get(module + "." + name);
    }

    /** Why a global is refused, for the one-line error. */
    static String refusal(String module, String name) {
        String q = CheckpointException.quote(module + "." + name);
        if (module.equals("torch") && UNSUPPORTED_DTYPES.contains(name)) {
            return "unsupported dtype " + q;
        }
        if (module.equals("torch") && UNSUPPORTED_STORAGES.contains(name)) {
            return "unsupported storage type " + q;
        }
        if (module.startsWith("torch.nn") || module.equals("__main__")) {
            return "forbidden global " + q + " (a pickled model object, not a state dict: re-save with"
                    + " torch.save(model.state_dict(), path))";
        }
        return "forbidden global " + q + " (not on the allowlist of tensor, storage and container types)";
    }

    // ------------------------------------------------------------------ containers and bytes

    private static Object orderedDict(Object[] args) {
        Map<Object, Object> out = new LinkedHashMap<>();
        if (args.length == 0) {
            return out;
        }
        if (args.length == 1 && args[0] instanceof Map) {
            out.putAll((Map<?, ?>) args[0]);
            return out;
        }
        if (args.length == 1 && (args[0] instanceof List || args[0] instanceof Object[])) {
            Collection<?> items = args[0] instanceof List ? (List<?>) args[0] : Arrays.asList((Object[]) args[0]);
            for (Object item : items) {
                Object[] pair = tuple(item, "OrderedDict item");
                if (pair.length != 2) {
                    throw new IllegalArgumentException("OrderedDict item of length " + pair.length);
                }
                out.put(pair[0], pair[1]);
            }
            return out;
        }
        throw new IllegalArgumentException("OrderedDict called with " + describeArgs(args));
    }

    private static Set<Object> newSet(Object[] args, String what) {
        Set<Object> out = new LinkedHashSet<>();
        if (args.length == 0) {
            return out;
        }
        if (args.length == 1 && args[0] instanceof Collection) {
            out.addAll((Collection<?>) args[0]);
            return out;
        }
        if (args.length == 1 && args[0] instanceof Object[]) {
            out.addAll(Arrays.asList((Object[]) args[0]));
            return out;
        }
        throw new IllegalArgumentException(what + " called with " + describeArgs(args));
    }

    /** Protocol 2 writes Python 3 bytes as _codecs.encode(text, 'latin1'). */
    private static Object codecsEncode(Object[] args) {
        if (args.length == 2 && args[0] instanceof String && isLatin1(args[1])) {
            return latin1((String) args[0]);
        }
        throw new IllegalArgumentException("_codecs.encode called with " + describeArgs(args)
                + " (only (str, 'latin1') is accepted)");
    }

    private static Object bytearray(Object[] args) {
        if (args.length == 0) {
            return new byte[0];
        }
        if (args.length == 1 && args[0] instanceof byte[]) {
            return ((byte[]) args[0]).clone();
        }
        if (args.length == 2 && args[0] instanceof String && isLatin1(args[1])) {
            return latin1((String) args[0]);
        }
        throw new IllegalArgumentException("bytearray called with " + describeArgs(args));
    }

    private static boolean isLatin1(Object encoding) {
        return encoding instanceof String
                && (encoding.equals("latin1") || encoding.equals("latin-1") || encoding.equals("iso-8859-1"));
    }

    private static byte[] latin1(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0xff) {
                throw new IllegalArgumentException("latin1 bytes with a character above 0xff");
            }
        }
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    // ------------------------------------------------------------------ tensors

    /**
     * torch._utils._rebuild_tensor(storage, offset, size, stride), _v2 (+ requires_grad,
     * backward_hooks[, metadata]) and _v3 (+ dtype before the optional metadata).
     */
    private static Object rebuildTensor(String fn, Object[] args, int minArgs, int maxArgs, int dtypeArg) {
        if (args.length < minArgs || args.length > maxArgs) {
            throw new IllegalArgumentException(fn + " called with " + args.length + " arguments, expected "
                    + (minArgs == maxArgs ? String.valueOf(minArgs) : minArgs + " or " + maxArgs));
        }
        if (!(args[0] instanceof TorchStorage)) {
            throw new IllegalArgumentException(fn + " needs a storage (persistent id) as first argument, got "
                    + typeName(args[0]));
        }
        TorchStorage storage = (TorchStorage) args[0];
        long offset = integer(args[1], fn + " storage offset");
        long[] size = integers(args[2], fn + " size");
        long[] stride = integers(args[3], fn + " stride");
        if (size.length != stride.length) {
            throw new IllegalArgumentException(fn + " size " + Arrays.toString(size) + " and stride "
                    + Arrays.toString(stride) + " differ in rank");
        }
        if (offset < 0) {
            throw new IllegalArgumentException(fn + " negative storage offset " + offset);
        }
        for (int i = 0; i < size.length; i++) {
            if (size[i] < 0 || stride[i] < 0) {
                throw new IllegalArgumentException(fn + " negative size or stride: size " + Arrays.toString(size)
                        + ", stride " + Arrays.toString(stride));
            }
        }
        if (args.length >= 6 && args[5] instanceof Map && !((Map<?, ?>) args[5]).isEmpty()) {
            throw new IllegalArgumentException(fn + " with backward hooks");
        }
        // torch appends metadata only when it is non-empty (e.g. a conjugate or negative bit that
        // changes the values); ignoring it could silently give wrong numbers
        int metadataArg = dtypeArg >= 0 ? 7 : 6;
        if (args.length > metadataArg && args[metadataArg] != null
                && !(args[metadataArg] instanceof Map && ((Map<?, ?>) args[metadataArg]).isEmpty())) {
            Object md = args[metadataArg];
            throw new IllegalArgumentException(fn + " with tensor metadata "
                    + (md instanceof Map ? ((Map<?, ?>) md).keySet() : typeName(md)) + " is not supported");
        }
        DType dtype;
        if (dtypeArg >= 0) {
            if (!(args[dtypeArg] instanceof DType)) {
                throw new IllegalArgumentException(fn + " needs a torch dtype, got " + typeName(args[dtypeArg]));
            }
            dtype = (DType) args[dtypeArg];
        } else {
            dtype = storage.dtype != null ? storage.dtype : DType.UINT8;   // an untyped storage holds bytes
        }
        if (storage.dtype != null && storage.dtype != dtype) {
            throw new IllegalArgumentException(fn + " builds a " + dtype + " tensor on " + storage.describe());
        }
        return new PendingTensor(storage, dtype, offset, size, stride);
    }

    /** torch._utils._rebuild_parameter(data, requires_grad, backward_hooks): the data tensor itself. */
    private static Object rebuildParameter(Object[] args) {
        if (args.length != 3 || !(args[0] instanceof PendingTensor)) {
            throw new IllegalArgumentException("_rebuild_parameter called with " + describeArgs(args));
        }
        return args[0];
    }

    // ------------------------------------------------------------------ argument helpers

    static Object[] tuple(Object o, String what) {
        if (o instanceof Object[]) {
            return (Object[]) o;
        }
        if (o instanceof List) {
            return ((List<?>) o).toArray();
        }
        throw new IllegalArgumentException(what + " should be a tuple, got " + typeName(o));
    }

    static long integer(Object o, String what) {
        if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte) {
            return ((Number) o).longValue();
        }
        throw new IllegalArgumentException(what + " should be an integer, got " + typeName(o));
    }

    private static long[] integers(Object o, String what) {
        Object[] t = tuple(o, what);
        long[] out = new long[t.length];
        for (int i = 0; i < t.length; i++) {
            out[i] = integer(t[i], what);
        }
        return out;
    }

    static String typeName(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Object[]) {
            return "tuple";
        }
        if (o instanceof PickleCallable) {
            return ((PickleCallable) o).qualifiedName();
        }
        return o.getClass().getSimpleName();
    }

    private static String describeArgs(Object[] args) {
        List<String> types = new ArrayList<>();
        for (Object a : args) {
            types.add(typeName(a));
        }
        return "(" + String.join(", ", types) + ")";
    }
}
