package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticDatasetsTest {
    @Test
    void sameSeedSameImagesAndPrefixesAgree() {
        ImageDataset a = SynthMnist.generate("a", 200, 42);
        ImageDataset b = SynthMnist.generate("b", 50, 42);
        assertArrayEquals(a.images(0, 50), b.images(0, 50));
        assertArrayEquals(Arrays.copyOf(a.labels(), 50), b.labels());
        assertFalse(Arrays.equals(a.images(0, 50), SynthMnist.generate("c", 50, 43).images(0, 50)));
        ImageDataset c = SynthCifar.generate("a", 30, 7);
        assertArrayEquals(c.images(10, 20), SynthCifar.generate("b", 30, 7).images(10, 20));
        assertFalse(Arrays.equals(c.image(0), SynthCifar.generate("c", 1, 8).image(0)));
    }

    @Test
    void generatedBytesAreTheSameOnEveryMachine() {
        // golden values: the generators use SplitMix and StrictMath only, so these hold on any
        // JVM; a deliberate change to a generator must update them (and says so in review)
        assertEquals(8158340434416173405L, sum(SynthMnist.generate("m", 20, 0)));
        assertEquals(3579286499285210302L, sum(SynthCifar.generate("c", 20, 0)));
    }

    private static long sum(ImageDataset d) {
        long s = 0;
        for (int i = 0; i < d.size(); i++) {
            for (float v : d.image(i)) {
                s = 31 * s + Math.round(v * 255);
            }
        }
        return s;
    }

    @Test
    void synthMnistLooksLikeMnist() {
        ImageDataset d = SynthMnist.generate("m", 1000, 1);
        assertEquals(1, d.channels());
        assertEquals(28, d.height());
        assertArrayEquals(new int[]{100, 100, 100, 100, 100, 100, 100, 100, 100, 100}, d.classCounts());
        // mostly black background, bright strokes; real MNIST's mean is 0.13
        double mean = d.meanPixel();
        assertTrue(mean > 0.07 && mean < 0.2, "mean pixel " + mean);
        int black = 0;
        int bright = 0;
        for (int i = 0; i < d.size(); i++) {
            for (float v : d.image(i)) {
                black += v == 0.0f ? 1 : 0;
                bright += v > 0.7f ? 1 : 0;
            }
        }
        double n = d.size() * 784.0;
        assertTrue(black / n > 0.7, "black fraction " + black / n);
        assertTrue(bright / n > 0.04, "bright fraction " + bright / n);
        // the border rows stay (almost) empty: digits are centred like MNIST's
        assertTrue(rowMean(d, 0) < 0.01 && rowMean(d, 27) < 0.01);
    }

    private static double rowMean(ImageDataset d, int row) {
        double s = 0;
        for (int i = 0; i < d.size(); i++) {
            for (int x = 0; x < 28; x++) {
                s += d.pixel(i, 0, row, x) / 255.0;
            }
        }
        return s / (d.size() * 28);
    }

    @Test
    void noTwoImagesOfAClassAreEqual() {
        for (ImageDataset d : new ImageDataset[]{SynthMnist.generate("m", 300, 3), SynthCifar.generate("c", 300, 3)}) {
            for (int i = 0; i < d.size(); i++) {
                for (int j = i + 10; j < d.size(); j += 10) {   // same label: i = j (mod 10)
                    assertFalse(Arrays.equals(d.image(i), d.image(j)), d.name() + " images " + i + " and " + j);
                }
            }
        }
    }

    @Test
    void synthCifarIsColourImagesInRange() {
        ImageDataset d = SynthCifar.generate("c", 500, 2);
        assertEquals(3, d.channels());
        assertEquals(32, d.width());
        assertArrayEquals(new int[]{50, 50, 50, 50, 50, 50, 50, 50, 50, 50}, d.classCounts());
        double mean = d.meanPixel();
        assertTrue(mean > 0.15 && mean < 0.6, "mean pixel " + mean);
        // the three channels differ (colour, not grey)
        float[] img = d.image(0);
        assertFalse(Arrays.equals(Arrays.copyOfRange(img, 0, 1024), Arrays.copyOfRange(img, 1024, 2048)));
    }

    @Test
    void sizeMustBePositive() {
        assertThrows(InvalidSettingException.class, () -> SynthMnist.generate("m", 0, 0));
        assertThrows(InvalidSettingException.class, () -> SynthCifar.generate("c", -1, 0));
    }

    /**
     * Learnable but not trivial: softmax regression on 3,000 images for 3 epochs, tested on 1,000
     * others. Measured over four (train, test) seed pairs: synth-mnist 0.88-0.93 test accuracy,
     * synth-cifar 0.59-0.70; chance is 0.10. The bounds keep a margin on both sides.
     */
    @Test
    void linearModelLearnsSynthMnistWellButNotPerfectly() {
        double acc = linearAccuracy(SynthMnist.generate("train", 3000, 0), SynthMnist.generate("test", 1000, 1), 0.05f);
        assertTrue(acc > 0.82, "synth-mnist linear accuracy " + acc);
        assertTrue(acc < 0.985, "synth-mnist is too easy: linear accuracy " + acc);
    }

    @Test
    void linearModelLearnsSynthCifarPartly() {
        double acc = linearAccuracy(SynthCifar.generate("train", 3000, 0), SynthCifar.generate("test", 1000, 1), 0.01f);
        assertTrue(acc > 0.45, "synth-cifar linear accuracy " + acc);
        assertTrue(acc < 0.9, "synth-cifar is too easy for a linear model: accuracy " + acc);
    }

    private static double linearAccuracy(ImageDataset train, ImageDataset test, float lr) {
        SoftmaxRegression model = new SoftmaxRegression(train.imageSize(), 10);
        model.train(BatchLoader.builder(train, 100).shuffle(0).build(), 3, lr);
        return model.accuracy(test);
    }
}
