package dev.nrpm.models;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.BatchNorm2d;
import dev.nrpm.nn.Conv2d;
import dev.nrpm.nn.Dense;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.nn.Sequential;
import dev.nrpm.ops.Ops;
import dev.nrpm.tensor.Tensor;

/**
 * ResNet-18 for small images: a 3x3 stride-1 stem (no max-pool), four stages of two basic blocks
 * with widths w, 2w, 4w, 8w and strides 1, 2, 2, 2, global average pooling, a dense classifier (state-dict name "linear").
 * w = 64 is the standard model, w = 8 the "tiny" one of ../shared/models. Names follow the
 * widespread PyTorch CIFAR implementation (conv1, bn1, layerN.i..., linear).
 */
public final class ResNet18 extends Module {
    /** The zoo's "resnet18": --width (64 standard, 8 the tiny checkpoint's); CIFAR's 3x32x32 by default. */
    public static final ModelFamily FAMILY = new ModelFamily("resnet18",
            "ResNet-18 for 32x32 images, base width --width (64 standard, 8 tiny)",
            InputShape.CIFAR) {
        @Override
        public int[] checkOptions(InputShape input, int classes, int[] widths, int width) {
            if (width < 1) {
                throw new InvalidSettingException("ResNet-18 width must be >= 1, got " + width);
            }
            return widths;
        }

        @Override
        public Module build(ModelSpec s, ParamInit init) {
            return new ResNet18(init, s.input(), s.width(), s.classes());
        }

        @Override
        public String describe(ModelSpec s) {
            return "resnet18 width " + s.width();
        }

        @Override
        public void putOptions(ModelSpec s, java.util.Map<String, Object> out) {
            out.put("width", s.width());
        }
    };

    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Sequential[] stages = new Sequential[4];
    private final Dense classifier;

    public ResNet18(ParamInit init, InputShape input, int width, int classes) {
        if (width < 1) {
            throw new IllegalArgumentException("ResNet-18 width must be >= 1, got " + width);
        }
        conv1 = addChild("conv1", new Conv2d(init, input.channels(), width, 3, 1, 1, false));
        bn1 = addChild("bn1", new BatchNorm2d(init, width));
        int in = width;
        for (int s = 0; s < 4; s++) {
            int out = width << s;
            int stride = s == 0 ? 1 : 2;
            stages[s] = addChild("layer" + (s + 1), new Sequential()
                    .add("0", new BasicBlock(init, in, out, stride))
                    .add("1", new BasicBlock(init, out, out, 1)));
            in = out;
        }
        classifier = addChild("linear", new Dense(init, in, classes, true));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = bn1.forwardRelu(conv1.forward(x));
        for (Sequential stage : stages) {
            h = stage.forward(h);
        }
        // global average pooling: the final map is 4x4 for 32x32 inputs (and for 28x28)
        h = Ops.avgPool2d(h, h.dim(2), 1, 0);
        return classifier.forward(Ops.flatten(h));
    }
}
