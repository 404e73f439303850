package io.covenant.client.vertx;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The adapters use Vert.x through its public API only, so that they keep working across the Vert.x
 * 5 versions an application may run, and never the coordinator (a test-only dependency here) or the
 * client's internals.
 */
class ArchitectureTest {
  static JavaClasses classes;

  @BeforeAll
  static void importClasses() throws Exception {
    Path mainClasses = Path.of(DispatcherHandler.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    classes = new ClassFileImporter().importPath(mainClasses);
  }

  @Test
  void usesNoVertxInternalsNorTheCoordinatorNorTheClientsInternals() {
    noClasses().should().dependOnClassesThat()
        .resideInAnyPackage("io.vertx..impl..", "io.vertx.core.internal..", "io.vertx.core.spi..", "io.netty..",
            "io.covenant.coordinator..", "io.covenant.client.internal..")
        .check(classes);
  }
}
