package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.loss4j.loss.MSELoss;

class BackendSelectionTest {

    @Test
    void javaIsAlwaysPresent() {
        assertTrue(Backends.java().isAvailable());
        assertTrue(Backends.available().contains(Backends.java()));
        assertEquals("java", Backends.get("java").name());
    }

    @Test
    void unknownAndUnavailableBackendsSayWhy() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.get("tpu"));
        assertTrue(e.getMessage().contains("tpu") && e.getMessage().contains("java"), e.getMessage());
        for (Backend b : Backends.all()) {
            if (!b.isAvailable()) {
                assertFalse(b.unavailableReason().isBlank(), b.name());
                IllegalStateException u = assertThrows(IllegalStateException.class, () -> Backends.get(b.name()));
                assertTrue(u.getMessage().contains(b.unavailableReason()), u.getMessage());
            }
        }
    }

    @Test
    void systemPropertyOverridesAutomaticSelection() {
        String old = System.getProperty("loss4j.backend");
        try {
            System.setProperty("loss4j.backend", "java");
            assertEquals("java", Backends.defaultBackend().name());
            System.setProperty("loss4j.backend", "nonsense");
            assertThrows(IllegalArgumentException.class, Backends::defaultBackend);
        } finally {
            if (old == null) System.clearProperty("loss4j.backend");
            else System.setProperty("loss4j.backend", old);
        }
    }

    @Test
    void perCallBackendAndExplain() {
        MSELoss mse = MSELoss.create();
        Tensor x = Tensor.of(new float[] {1, 2});
        String text = mse.on(Backends.java()).explain(x, x);
        assertTrue(text.contains("MSELoss") && text.contains("java") && text.contains("pointwise"), text);
        assertEquals(0.0, mse.on(Backends.java()).forward(x, x).item());
    }
}
