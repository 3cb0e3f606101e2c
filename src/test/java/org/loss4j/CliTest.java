package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loss4j.cli.Main;
import org.loss4j.internal.vectors.Json;

class CliTest {

    @Test
    void infoSucceeds() {
        assertEquals(0, Main.run("info"));
    }

    @Test
    void verifyWritesJsonAndExitsZeroWhenAllPass(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("v.json");
        assertEquals(0, Main.run("verify", "--vectors", "test-vectors/data", "--loss", "MSELoss", "--json", out.toString()));
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(out));
        assertEquals(0L, m.get("failed"));
        assertTrue(((Number) m.get("passed")).longValue() > 0);
    }

    @Test
    void unknownBackendIsAnError() {
        assertTrue(Main.run("verify", "--backend", "nope", "--vectors", "test-vectors/data") != 0);
    }
}
