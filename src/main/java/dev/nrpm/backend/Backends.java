package dev.nrpm.backend;

import dev.nrpm.error.BackendException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds backends and hands out one instance of each. "auto" takes the highest-priority backend
 * that is usable here (cuda, then cpu) and logs one line when it falls back; the system property
 * {@code nrpm.backend} overrides "auto". Asking for a named backend that cannot run is an error.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
    private static final Map<String, Backend> INSTANCES = new ConcurrentHashMap<>();
    private static final Map<String, String> REASONS = new ConcurrentHashMap<>();
    private static volatile List<BackendProvider> providers;

    private Backends() {
    }

    /** All providers on the class path, highest priority first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = providers;
        if (list == null) {
            list = new ArrayList<>();
            for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
                list.add(p);
            }
            list.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
            providers = list;
        }
        return list;
    }

    /** Why the named backend cannot run here, or null when it can. Probes once per name. */
    public static String unavailableReason(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        BackendProvider p = find(key);
        if (p == null) {
            return "no backend named '" + name + "' is on the class path (known: " + names() + ")";
        }
        String reason = REASONS.computeIfAbsent(key, k -> probe(p));
        return reason.isEmpty() ? null : reason;
    }

    private static String probe(BackendProvider p) {
        try {
            String reason = p.unavailableReason();
            return reason == null ? "" : reason;
        } catch (Throwable t) {          // native-link errors included
            return t.getClass().getSimpleName() + ": " + t.getMessage();
        }
    }

    public static boolean isAvailable(String name) {
        return unavailableReason(name) == null;
    }

    /**
     * The backend for a device name: auto, reference, cpu or cuda.
     *
     * @throws BackendException naming the reason when the backend cannot run here
     */
    public static Backend get(String device) {
        String name = device == null ? "auto" : device.toLowerCase(Locale.ROOT).trim();
        if (name.equals("auto")) {
            String forced = System.getProperty("nrpm.backend");
            if (forced != null && !forced.isBlank() && !forced.equalsIgnoreCase("auto")) {
                return get(forced);
            }
            return auto();
        }
        String reason = unavailableReason(name);
        if (reason != null) {
            throw new BackendException("backend '" + name + "' is not usable here: " + reason);
        }
        return INSTANCES.computeIfAbsent(name, k -> find(k).create());
    }

    private static Backend auto() {
        List<String> skipped = new ArrayList<>();
        for (BackendProvider p : providers()) {
            if (p.name().equals("reference")) {
                continue;             // the float64 oracle is never picked automatically
            }
            String reason = unavailableReason(p.name());
            if (reason == null) {
                if (!skipped.isEmpty()) {
                    LOG.info("using the {} backend ({})", p.name(), String.join("; ", skipped));
                }
                return get(p.name());
            }
            skipped.add(p.name() + " unavailable: " + reason);
        }
        throw new BackendException("no usable backend: " + String.join("; ", skipped));
    }

    private static BackendProvider find(String name) {
        for (BackendProvider p : providers()) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        return null;
    }

    private static String names() {
        List<String> names = new ArrayList<>();
        for (BackendProvider p : providers()) {
            names.add(p.name());
        }
        return String.join(", ", names);
    }
}
