package dev.nrpm.io;

import dev.nrpm.backend.Backends;
import dev.nrpm.nn.BatchNorm2d;
import dev.nrpm.nn.Conv2d;
import dev.nrpm.nn.Flatten;
import dev.nrpm.nn.Dense;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.nn.Sequential;

/**
 * Modules whose state names match the fixtures and the real checkpoints, built from dev.nrpm.nn
 * on the reference backend. Only the names and shapes matter for loading; the ResNet tree is not
 * meant to run forward (Sequential has no residual connection).
 */
public final class TestModels {
    private TestModels() {
    }

    public static ParamInit init(long seed) {
        return new ParamInit(Backends.get("reference"), seed);
    }

    /** fc1 in -> h1, fc2 h1 -> h2, fc3 h2 -> out, with biases. */
    public static Sequential mlp(int in, int h1, int h2, int out, long seed) {
        ParamInit init = init(seed);
        return new Sequential().add("fc1", new Dense(init, in, h1, true)).add("fc2", new Dense(init, h1, h2, true))
                .add("fc3", new Dense(init, h2, out, true));
    }

    /** conv1 3->4 k3 (no bias), bn1, flatten, fc 4->2: the shape of zip_dataparallel.t7. */
    public static Sequential convBn(long seed) {
        ParamInit init = init(seed);
        return new Sequential().add("conv1", new Conv2d(init, 3, 4, 3, 1, 0, false))
                .add("bn1", new BatchNorm2d(init, 4)).add("flat", new Flatten()).add("fc", new Dense(init, 4, 2, true));
    }

    /** The LeNet of lenet_mnist_model.pth (parameterised layers only). */
    public static Sequential lenet(long seed) {
        ParamInit init = init(seed);
        return new Sequential().add("conv1", new Conv2d(init, 1, 10, 5, 1, 0, true))
                .add("conv2", new Conv2d(init, 10, 20, 5, 1, 0, true))
                .add("fc1", new Dense(init, 320, 50, true)).add("fc2", new Dense(init, 50, 10, true));
    }

    /** The module tree (names and shapes) of tinyresnet18_cifar10_model.t7: widths 8/16/32/64. */
    public static Module tinyResNetTree(long seed) {
        ParamInit init = init(seed);
        Sequential root = new Sequential().add("conv1", new Conv2d(init, 3, 8, 3, 1, 1, false))
                .add("bn1", new BatchNorm2d(init, 8));
        int in = 8;
        int[] widths = {8, 16, 32, 64};
        for (int l = 0; l < 4; l++) {
            int w = widths[l];
            Sequential layer = new Sequential();
            for (int b = 0; b < 2; b++) {
                int stride = b == 0 && l > 0 ? 2 : 1;
                Sequential block = new Sequential().add("conv1", new Conv2d(init, in, w, 3, stride, 1, false))
                        .add("bn1", new BatchNorm2d(init, w)).add("conv2", new Conv2d(init, w, w, 3, 1, 1, false))
                        .add("bn2", new BatchNorm2d(init, w));
                if (stride != 1 || in != w) {
                    block.add("shortcut", new Sequential().add("0", new Conv2d(init, in, w, 1, stride, 0, false))
                            .add("1", new BatchNorm2d(init, w)));
                }
                layer.add(String.valueOf(b), block);
                in = w;
            }
            root.add("layer" + (l + 1), layer);
        }
        return root.add("linear", new Dense(init, 64, 10, true));
    }
}
