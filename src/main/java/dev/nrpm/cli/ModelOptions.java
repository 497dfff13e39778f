package dev.nrpm.cli;

import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --model and its size options, --weights. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "NAME", completionCandidates = ModelNames.class,
            description = "Architecture from the model zoo: ${COMPLETION-CANDIDATES} (see models/README.md).")
    String model;

    @Option(names = "--width", defaultValue = "64", paramLabel = "N",
            description = "ResNet-18 base width: 64 standard, 8 tiny. Default: ${DEFAULT-VALUE}.")
    int width;

    @Option(names = "--widths", split = ",", paramLabel = "W1,W2,...",
            description = "MLP layer widths, input first and classes last. Default: input-256-64-classes.")
    int[] widths;

    @Option(names = "--relu", description = "MLP: ReLU between dense layers (the paper's MLP has none).")
    boolean relu;

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Weights: a PyTorch .pth/.pt/.t7 state dict or an nrpm checkpoint (.safetensors).")
    Path weights;

    ModelSpec spec(InputShape input, int classes) {
        return ModelSpec.of(model, input, classes, widths, width, relu);
    }
}
