package dev.nrpm.report;

/**
 * Whether {@link CurvePlot} can draw here. A class of its own because CurvePlot's signatures name
 * XChart types: where XChart is missing, loading CurvePlot itself fails. The GPU bundle leaves out
 * AWT (java.desktop) and XChart.
 */
public final class PlotSupport {
    private PlotSupport() {
    }

    /** Why no chart can be drawn in this installation, or null. Loads neither AWT nor XChart. */
    public static String unavailableReason() {
        if (ModuleLayer.boot().findModule("java.desktop").isEmpty()) {
            return "this Java runtime has no java.desktop module (the GPU bundle's runtime leaves it out)";
        }
        if (PlotSupport.class.getClassLoader().getResource("org/knowm/xchart/XYChart.class") == null) {
            return "the XChart library is not on the class path (the GPU bundle leaves it out)";
        }
        return null;
    }
}
