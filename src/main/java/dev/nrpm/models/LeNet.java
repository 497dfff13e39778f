package dev.nrpm.models;

import dev.nrpm.nn.Conv2d;
import dev.nrpm.nn.Dropout;
import dev.nrpm.nn.Dense;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.ops.Ops;
import dev.nrpm.tensor.Tensor;

/**
 * LeNet of PyTorch's FGSM tutorial (the layout of ../shared/models/lenet_mnist_model.pth):
 * conv 10 k5, maxpool 2, relu, conv 20 k5, dropout2d, maxpool 2, relu, flatten, fc 50, relu,
 * dropout, fc classes, log-softmax. For 1x28x28 inputs the flattened size is 320.
 */
public final class LeNet extends Module {
    /** The zoo's "lenet": no options; any input of at least 1x16x16 (MNIST's 1x28x28 by default). */
    public static final ModelFamily FAMILY = new ModelFamily("lenet",
            "the paper's LeNet: two 5x5 convs with max pooling, dropout, two dense layers",
            InputShape.MNIST) {
        @Override
        public Module build(ModelSpec s, ParamInit init) {
            return new LeNet(init, s.input(), s.classes());
        }
    };

    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Dropout conv2Drop;
    private final Dense fc1;
    private final Dropout fc1Drop;
    private final Dense fc2;

    public LeNet(ParamInit init, InputShape input, int classes) {
        conv1 = addChild("conv1", new Conv2d(init, input.channels(), 10, 5, 1, 0, true));
        conv2 = addChild("conv2", new Conv2d(init, 10, 20, 5, 1, 0, true));
        conv2Drop = addChild("conv2_drop", new Dropout(init, 0.5f, true));
        int h = ((input.height() - 4) / 2 - 4) / 2;
        int w = ((input.width() - 4) / 2 - 4) / 2;
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException("LeNet needs inputs of at least 16x16, got " + input);
        }
        fc1 = addChild("fc1", new Dense(init, 20 * h * w, 50, true));
        fc1Drop = addChild("fc1_drop", new Dropout(init, 0.5f));
        fc2 = addChild("fc2", new Dense(init, 50, classes, true));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = Ops.relu(Ops.maxPool2d(conv1.forward(x), 2, 2, 0));
        h = Ops.relu(Ops.maxPool2d(conv2Drop.forward(conv2.forward(h)), 2, 2, 0));
        h = Ops.relu(fc1.forward(Ops.flatten(h)));
        return Ops.logSoftmax(fc2.forward(fc1Drop.forward(h)));
    }
}
