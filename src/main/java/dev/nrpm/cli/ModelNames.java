package dev.nrpm.cli;

import dev.nrpm.models.ModelZoo;
import java.util.Iterator;

/** --model's choices for --help, straight from the zoo. */
final class ModelNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return ModelZoo.names().iterator();
    }
}
