package dev.nrpm.cli;

import dev.nrpm.backend.Backends;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.io.checkpoint.CheckpointWriter;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.models.ModelZoo;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** nrpm import: a PyTorch state dict into an nrpm checkpoint (safetensors) for a zoo model. */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert a PyTorch checkpoint (.pth/.pt/.t7, zip or legacy format) into an nrpm checkpoint.",
            "Keys are mapped onto the zoo model (a 'module.' prefix is stripped, robust_sum.lmbd/beta become",
            "the layer's lambda, num_batches_tracked is ignored); every shape must match.",
            "",
            "Example:",
            "  nrpm import --model lenet --weights ../shared/models/lenet_mnist_model.pth --out runs/lenet.safetensors"})
final class ImportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--input", paramLabel = "mnist|cifar",
            description = "Input shape: mnist (1x28x28) or cifar (3x32x32). Default: mnist for mlp/lenet, cifar for resnet18.")
    String input;

    @Option(names = "--classes", defaultValue = "10", description = "Number of classes. Default: ${DEFAULT-VALUE}.")
    int classes;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The nrpm checkpoint to write (atomically).")
    Path out;

    @Option(names = "--overwrite", description = "Replace --out if it exists (else that is an error).")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintWriter pw = spec.commandLine().getOut();
        if (model.weights == null) {
            throw new InvalidSettingException("--weights FILE (the PyTorch checkpoint) is required");
        }
        new OutputGuard().input("--weights", model.weights)
                .checkpoint("--out", out, overwrite, "pass --overwrite to replace it").check();
        InputShape shape = shape();
        ModelSpec ms = model.spec(shape, classes);
        Module net = ms.build(new ParamInit(Backends.get("reference"), 0));
        Weights.Loaded loaded = Weights.load(model.weights, net, ms);
        if (!loaded.lambdas().isEmpty()) {
            pw.println("lambdas in the file (applied by --pm nrpm when no --lambda is given): " + loaded.lambdas());
        }
        for (Map.Entry<String, Float> e : loaded.lambdas().entrySet()) {
            pw.println("  " + e.getKey() + ": " + e.getValue());
        }
        CheckpointWriter.of(net).architecture(ms.toMap()).metadata("imported_from", model.weights.toString())
                .metadata("lambdas", new com.google.gson.Gson().toJson(loaded.lambdas())).write(out);
        pw.println(ms.describe() + ": " + loaded.summary());
        pw.println("wrote " + out);
        return 0;
    }

    private InputShape shape() {
        if (input == null) {
            return ModelZoo.family(model.model).defaultInput();
        }
        String s = input.toLowerCase(Locale.ROOT);
        switch (s) {
            case "mnist":
                return InputShape.MNIST;
            case "cifar":
            case "cifar10":
                return InputShape.CIFAR;
            default:
                throw new InvalidSettingException("--input must be mnist or cifar, got '" + input + "'");
        }
    }
}
