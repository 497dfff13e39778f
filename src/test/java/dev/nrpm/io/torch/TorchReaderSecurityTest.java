package dev.nrpm.io.torch;

import dev.nrpm.io.Fixtures;
import static dev.nrpm.io.Fixtures.assertCheckpointError;
import static dev.nrpm.io.Fixtures.torch;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import net.razorvine.pickle.Unpickler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unpickler must refuse every global outside the allowlist at the GLOBAL opcode itself, before
 * anything is constructed or called, with a typed error naming the file and the global.
 */
class TorchReaderSecurityTest {
    /** What the malicious fixtures would create in the working directory if their payload ran. */
    private static final Path MARKER = Paths.get("nrpm-pickle-was-executed");

    @TempDir
    Path dir;

    @Test
    void zipWithOsSystemReduceIsRefusedAndNothingRuns() {
        Path file = torch("malicious_os_system.pth");
        assertCheckpointError(file, () -> TorchReader.read(file), "forbidden global 'posix.system'",
                "archive/data.pkl");
        assertFalse(Files.exists(MARKER), "the pickle's payload ran");
    }

    @Test
    void legacyWithEvalIsRefused() {
        // protocol 2 spells Python 3's builtins module __builtin__
        Path file = torch("malicious_legacy_eval.pth");
        assertCheckpointError(file, () -> TorchReader.read(file), "forbidden global '__builtin__.eval'",
                "legacy record 4 (the object)");
        assertFalse(Files.exists(MARKER), "the pickle's payload ran");
    }

    @Test
    void everyKindOfGlobalOpcodeIsChecked() throws IOException {
        // GLOBAL, protocol 0
        refused("cos\nsystem\n(S'echo pwned'\ntR.", "forbidden global 'os.system'");
        refused("c__builtin__\ngetattr\n(S'x'\nS'y'\ntR.", "forbidden global '__builtin__.getattr'");
        refused("csubprocess\nPopen\n((S'ls'\nttR.", "forbidden global 'subprocess.Popen'");
        refused("cbuiltins\nexec\n(S'1'\ntR.", "forbidden global 'builtins.exec'");
        // STACK_GLOBAL, protocol 4: module and name pushed as strings first
        refused("\u0080\u0004\u008c\u0002os\u008c\u0006system\u0093\u008c\u0002id\u0085R.", "forbidden global 'os.system'");
        // INST names the class inline and instantiates it with the args since the mark
        refused("(S'ls'\nios\nsystem\n.", "forbidden global 'os.system'");
        // an unknown class, which Pyrolite would turn into a ClassDict
        refused("cmy_project.models\nResNet\n)R.", "forbidden global 'my_project.models.ResNet'");
    }

    @Test
    void pyroliteBuiltInConstructorsAreNotReachable() throws IOException {
        // Pyrolite maps these to Java objects by default; none of them is on our allowlist
        refused("ccopy_reg\n_reconstructor\n(c__builtin__\nobject\nNtR.", "forbidden global 'copy_reg._reconstructor'");
        refused("cdatetime\ndatetime\n(S'x'\ntR.", "forbidden global 'datetime.datetime'");
        refused("c__builtin__\ncomplex\n(F1.0\nF2.0\ntR.", "forbidden global '__builtin__.complex'");
        refused("carray\narray\n(S'd'\n(lp0\ntR.", "forbidden global 'array.array'");
    }

    @Test
    void aConstructorRegisteredInPyrolitesGlobalRegistryIsNeverCalled() throws IOException {
        AtomicBoolean called = new AtomicBoolean();
        Unpickler.registerConstructor("nrpm_test_evil", "Thing", args -> {
            called.set(true);
            return "constructed";
        });
        refused("cnrpm_test_evil\nThing\n(tR.", "forbidden global 'nrpm_test_evil.Thing'");
        assertFalse(called.get(), "a registry constructor was invoked");
    }

    @Test
    void readingStopsAtTheForbiddenGlobalNotAfterIt() throws IOException {
        // bytes after the GLOBAL are not a valid pickle: the error proves nothing past it was read
        refused("cposix\nsystem\n\u00ff\u00ff\u00ff garbage", "forbidden global 'posix.system'", "at byte 0");
    }

    @Test
    void pickledModelsGetAHint() throws IOException {
        refused("ctorch.nn.modules.linear\nLinear\n)R.", "forbidden global 'torch.nn.modules.linear.Linear'",
                "torch.save(model.state_dict(), path)");
        refused("c__main__\nNet\n)R.", "forbidden global '__main__.Net'", "not a state dict");
    }

    @Test
    void namesWithControlCharactersStayOnOneLine() throws IOException {
        // STACK_GLOBAL lets a file choose any string, newlines included
        Path file = refused("\u0080\u0004\u008c\u0004os\nx\u008c\u0006system\u0093.", "forbidden global 'os\\x0ax.system'");
        assertFalse(Files.readString(file, StandardCharsets.ISO_8859_1).isEmpty());
    }

    @Test
    void allowedObjectsCannotBeMisused() throws IOException {
        // a storage class is allowed as a value, but it is not callable
        refused("ctorch\nFloatStorage\n(I10\ntR.", "call of a non-callable StorageType");
        // calling a string
        refused("S'os.system'\n(S'ls'\ntR.", "call of a non-callable String");
        // BUILD (set state) on a list
        refused("(l(dp0\nS'x'\nI1\nsb.", "BUILD (set state) on ArrayList");
        // hooks on a tensor would be functions: refused even when empty-looking globals are fine
        refused("c_codecs\nencode\n(S'x'\nS'utf-16'\ntR.", "only (str, 'latin1') is accepted");
    }

    @Test
    void unsupportedDtypesAreNamed() throws IOException {
        refused("ctorch\ncomplex64\n.", "unsupported dtype 'torch.complex64'");
        refused("ctorch\nComplexFloatStorage\n.", "unsupported storage type 'torch.ComplexFloatStorage'");
    }

    private Path refused(String pickle, String... fragments) throws IOException {
        Path file = Fixtures.torchZip(dir.resolve("crafted" + System.nanoTime() + ".pth"), pickle, Map.of());
        assertCheckpointError(file, () -> TorchReader.read(file), fragments);
        return file;
    }
}
