package dev.nrpm.io.torch;
import dev.nrpm.io.CheckpointException;

/**
 * A Python callable the restricted unpickler may call (REDUCE, NEWOBJ): one of the few
 * allowlisted globals, implemented here in Java. Nothing from a file is ever looked up by name
 * beyond {@link TorchGlobals}, so nothing else can be called or instantiated.
 */
interface PickleCallable {
    /** "module.name", for messages. */
    String qualifiedName();

    /**
     * @throws IllegalArgumentException when the arguments are not what torch writes; the
     *         unpickler turns it into a {@link CheckpointException} naming the file
     */
    Object call(Object[] args);
}
