package dev.nrpm.io.torch;

import dev.nrpm.io.CheckpointException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Pyrolite's unpickler with every opcode that names or calls a Python object taken over:
 * GLOBAL, STACK_GLOBAL and INST resolve only through {@link TorchGlobals} (anything else is a
 * {@link CheckpointException} at that opcode, before any call), REDUCE / NEWOBJ / NEWOBJ_EX / OBJ
 * call only {@link PickleCallable}s we created, and BUILD sets no state on anything. Pyrolite's
 * own registry and its ClassDictConstructor fallback are therefore unreachable.
 *
 * <p>Also: dicts and sets keep insertion order (state dicts are ordered), and every length prefix
 * is checked against the bytes left, so a corrupt or hostile length cannot allocate gigabytes.
 */
final class TorchUnpickler extends Unpickler {
    private static final short GLOBAL = 'c';
    private static final short STACK_GLOBAL = 0x93;
    private static final short INST = 'i';
    private static final short OBJ = 'o';
    private static final short REDUCE = 'R';
    private static final short NEWOBJ = 0x81;
    private static final short NEWOBJ_EX = 0x92;
    private static final short BUILD = 'b';
    private static final short EMPTY_DICT = '}';
    private static final short DICT = 'd';
    private static final short SETITEM = 's';
    private static final short SETITEMS = 'u';
    private static final short EMPTY_SET = 0x8f;
    private static final short FROZENSET = 0x91;
    private static final short BINSTRING = 'T';
    private static final short BINUNICODE = 'X';
    private static final short BINBYTES = 'B';
    private static final short LONG4 = 0x8b;
    private static final short BINUNICODE8 = 0x8d;
    private static final short BINBYTES8 = 0x8e;
    private static final short BYTEARRAY8 = 0x96;

    private final String source;
    private final Function<Object[], Object> persistentLoader;
    private String pickleName;
    private PickleInput in;
    private int base;         // where the current pickle starts in the input
    private int opStart;      // offset of the opcode being executed from base, for messages

    /**
     * @param source           the file, for messages
     * @param persistentLoader turns a persistent id tuple into the object it stands for
     */
    TorchUnpickler(String source, Function<Object[], Object> persistentLoader) {
        this.source = source;
        this.persistentLoader = persistentLoader;
    }

    /**
     * Unpickles one pickle from the input's current position; the input is left just after its STOP.
     *
     * @param pickleName which pickle this is ("epoch9/data.pkl", "legacy record 4 (the object)"), for messages
     */
    Object load(PickleInput input, String pickleName) {
        this.in = input;
        this.pickleName = pickleName;
        this.base = input.position();
        this.opStart = 0;
        try {
            return load(input);
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(source, where() + ": " + describe(e), e);
        } catch (StackOverflowError e) {
            throw new CheckpointException(source, where() + ": nesting too deep");
        }
    }

    private String where() {
        return "bad pickle in " + pickleName + " at byte " + opStart;
    }

    private static String describe(Throwable e) {
        if (e instanceof IOException && String.valueOf(e.getMessage()).contains("premature end")
                || e instanceof IOException && String.valueOf(e.getMessage()).contains("expected more bytes")) {
            return "truncated (" + e.getMessage() + ")";
        }
        if (e instanceof ClassCastException) {
            return "an opcode found the wrong kind of object on the stack";
        }
        if (e instanceof IndexOutOfBoundsException) {
            return "stack underflow";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    @Override
    protected Object dispatch(short key) throws IOException {
        opStart = in.position() - 1 - base;
        switch (key) {
            case GLOBAL:
                stack.add(lookup(PickleUtils.readline(in), PickleUtils.readline(in)));
                return NO_RETURN_VALUE;
            case STACK_GLOBAL: {
                Object name = stack.pop();
                Object module = stack.pop();
                if (!(module instanceof String) || !(name instanceof String)) {
                    throw new IllegalArgumentException("STACK_GLOBAL needs two strings");
                }
                stack.add(lookup((String) module, (String) name));
                return NO_RETURN_VALUE;
            }
            case INST: {
                Object callable = lookup(PickleUtils.readline(in), PickleUtils.readline(in));
                List<Object> args = stack.pop_all_since_marker();
                stack.add(call(callable, args.toArray()));
                return NO_RETURN_VALUE;
            }
            case OBJ: {
                List<Object> all = stack.pop_all_since_marker();
                if (all.isEmpty()) {
                    throw new IllegalArgumentException("OBJ without a class");
                }
                stack.add(call(all.get(0), all.subList(1, all.size()).toArray()));
                return NO_RETURN_VALUE;
            }
            case REDUCE:
            case NEWOBJ: {
                Object args = stack.pop();
                Object callable = stack.pop();
                stack.add(call(callable, TorchGlobals.tuple(args, "call arguments")));
                return NO_RETURN_VALUE;
            }
            case NEWOBJ_EX: {
                Object kwargs = stack.pop();
                Object args = stack.pop();
                Object callable = stack.pop();
                if (!(kwargs instanceof Map) || !((Map<?, ?>) kwargs).isEmpty()) {
                    throw new IllegalArgumentException("NEWOBJ_EX with keyword arguments");
                }
                stack.add(call(callable, TorchGlobals.tuple(args, "call arguments")));
                return NO_RETURN_VALUE;
            }
            case BUILD:
                build();
                return NO_RETURN_VALUE;
            case EMPTY_DICT:
                stack.add(new LinkedHashMap<>());
                return NO_RETURN_VALUE;
            case DICT: {
                Map<Object, Object> map = new LinkedHashMap<>();
                putPairs(map, stack.pop_all_since_marker());
                stack.add(map);
                return NO_RETURN_VALUE;
            }
            case SETITEM: {
                Object value = stack.pop();
                Object k = stack.pop();
                dictOnTop("SETITEM").put(hashable(k), value);
                return NO_RETURN_VALUE;
            }
            case SETITEMS: {
                List<Object> pairs = stack.pop_all_since_marker();
                putPairs(dictOnTop("SETITEMS"), pairs);
                return NO_RETURN_VALUE;
            }
            case EMPTY_SET:
                stack.add(new LinkedHashSet<>());
                return NO_RETURN_VALUE;
            case FROZENSET: {
                Set<Object> set = new LinkedHashSet<>(stack.pop_all_since_marker());
                stack.add(set);
                return NO_RETURN_VALUE;
            }
            case BINSTRING:
            case BINUNICODE:
            case BINBYTES:
            case LONG4:
                checkLength(in.peekLittleEndian(4), 4, true);
                return super.dispatch(key);
            case BINUNICODE8:
            case BINBYTES8:
            case BYTEARRAY8:
                checkLength(in.peekLittleEndian(8), 8, false);
                return super.dispatch(key);
            default:
                return super.dispatch(key);
        }
    }

    /** The allowlisted object for a global, or the error that stops the read right here. */
    private Object lookup(String module, String name) {
        Object resolved = TorchGlobals.resolve(module, name);
        if (resolved == null) {
            throw new CheckpointException(source, TorchGlobals.refusal(module, name) + " in " + pickleName
                    + " at byte " + opStart);
        }
        return resolved;
    }

    private static Object call(Object callable, Object[] args) {
        if (!(callable instanceof PickleCallable)) {
            throw new IllegalArgumentException("call of a non-callable " + TorchGlobals.typeName(callable));
        }
        return ((PickleCallable) callable).call(args);
    }

    /**
     * BUILD sets an object's state. The only state torch writes on allowlisted objects is the
     * instance dict of an OrderedDict (a state dict's _metadata: per-module versions we do not
     * need), so it is dropped; anything else is refused.
     */
    private void build() {
        Object state = stack.pop();
        Object target = stack.peek();
        if (target instanceof Map && (state instanceof Map || state instanceof Object[] || state == null)) {
            return;
        }
        throw new IllegalArgumentException("BUILD (set state) on " + TorchGlobals.typeName(target));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop(String op) {
        Object target = stack.peek();
        if (!(target instanceof Map)) {
            throw new IllegalArgumentException(op + " on " + TorchGlobals.typeName(target));
        }
        return (Map<Object, Object>) target;
    }

    private static void putPairs(Map<Object, Object> map, List<Object> flat) {
        if (flat.size() % 2 != 0) {
            throw new IllegalArgumentException("odd number of items for a dict");
        }
        for (int i = 0; i < flat.size(); i += 2) {
            map.put(hashable(flat.get(i)), flat.get(i + 1));
        }
    }

    /** Tuples are arrays in Pyrolite; as dict keys they need value equality. */
    private static Object hashable(Object key) {
        return key instanceof Object[] ? java.util.Arrays.asList((Object[]) key) : key;
    }

    private void checkLength(long length, int prefixBytes, boolean signed32) {
        if (length < 0) {
            throw new IllegalArgumentException("truncated length prefix");
        }
        if (signed32 && length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("negative length prefix");
        }
        if (length > in.remaining() - prefixBytes) {
            throw new IllegalArgumentException("truncated (a length prefix claims " + length + " bytes, "
                    + Math.max(0, in.remaining() - prefixBytes) + " left)");
        }
    }

    @Override
    protected Object persistentLoad(Object pid) {
        return persistentLoader.apply(TorchGlobals.tuple(pid, "persistent id"));
    }
}
