package dev.nrpm.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real MNIST test set, read in place from ../shared/data/mnist (never copied); skipped with a
 * message where that directory is absent, as in a user's clone.
 */
class RealMnistTest {
    private static final Path DIR = Paths.get("..", "shared", "data", "mnist");
    private static ImageDataset test;

    @BeforeAll
    static void load() {
        assumeTrue(Files.isRegularFile(DIR.resolve(MnistReader.TEST_IMAGES)) && Files.isRegularFile(DIR.resolve(MnistReader.TEST_LABELS)),
                "real MNIST not found at " + DIR.toAbsolutePath() + "; skipping the real-data checks");
        test = Datasets.open("mnist", Split.TEST, DataOptions.defaults().withDataDir(DIR).withDownload(false));
    }

    @Test
    void filesAreTheCanonicalOnes() {
        assertEquals(Manifests.MNIST_TEST_IMAGES.md5(), Downloader.md5(DIR.resolve(MnistReader.TEST_IMAGES)));
        assertEquals(Manifests.MNIST_TEST_LABELS.md5(), Downloader.md5(DIR.resolve(MnistReader.TEST_LABELS)));
    }

    @Test
    void tenThousandDigitsWithTheKnownStatistics() {
        assertEquals(10_000, test.size());
        assertArrayEquals(new int[]{1, 28, 28}, new int[]{test.channels(), test.height(), test.width()});
        int[] counts = test.classCounts();
        assertEquals(10_000, Arrays.stream(counts).sum());
        // the published per-class counts of the MNIST test set
        assertArrayEquals(new int[]{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, counts);
        assertEquals(0.1325, test.meanPixel(), 0.002);
        assertEquals(7, test.label(0));   // the famous first test digit
        assertEquals(2, test.label(1));
    }

    @Test
    void halvesForFineTuningAndEvaluation() {
        ImageDataset tune = test.slice(0, 5_000);
        ImageDataset eval = test.slice(5_000, 5_000);
        assertEquals("mnist-test[5000:10000]", eval.name());
        assertArrayEquals(test.image(5_000), eval.image(0));
        assertEquals(10_000, Arrays.stream(tune.classCounts()).sum() + Arrays.stream(eval.classCounts()).sum());
        assertTrue(Arrays.stream(eval.classCounts()).allMatch(c -> c > 400), "every class in the evaluation half");
    }

    @Test
    void trainSplitWithoutItsImagesNamesTheMissingFile() {
        assumeTrue(Files.isRegularFile(DIR.resolve(MnistReader.TRAIN_LABELS)), "train labels not present");
        assumeTrue(MnistReader.locate(DIR, MnistReader.TRAIN_IMAGES) == null, "train images present");
        // the shared copy has the training labels but not the images: offline, exactly that is reported
        DatasetUnavailableException e = assertThrows(DatasetUnavailableException.class,
                () -> Datasets.open("mnist", Split.TRAIN, DataOptions.defaults().withDataDir(DIR).withDownload(false)));
        assertEquals(List.of(MnistReader.TRAIN_IMAGES), e.missingFiles());
    }
}
