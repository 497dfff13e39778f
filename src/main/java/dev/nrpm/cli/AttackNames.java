package dev.nrpm.cli;

import dev.nrpm.attack.AttackKind;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** --attack's choices for --help, straight from the registry. */
final class AttackNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        List<String> names = new ArrayList<>();
        for (AttackKind k : AttackKind.values()) {
            names.add(k.cliName());
        }
        return names.iterator();
    }
}
