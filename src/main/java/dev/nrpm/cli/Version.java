package dev.nrpm.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar manifest (or "development" when running from classes). */
final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"nrpm " + (v == null ? "development" : v) + ", Java " + System.getProperty("java.version")};
    }
}
