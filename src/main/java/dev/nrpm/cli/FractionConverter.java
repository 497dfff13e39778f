package dev.nrpm.cli;

import picocli.CommandLine;

/** A number written as a decimal (0.031) or a fraction (8/255), as robustness papers write budgets and steps. */
final class FractionConverter implements CommandLine.ITypeConverter<Double> {
    @Override
    public Double convert(String text) {
        String t = text.trim();
        try {
            int slash = t.indexOf('/');
            double v = slash < 0 ? Double.parseDouble(t)
                    : Double.parseDouble(t.substring(0, slash).trim()) / Double.parseDouble(t.substring(slash + 1).trim());
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is not a number (a decimal like 0.031 or a"
                    + " fraction like 8/255)");
        }
    }
}
