package io.covenant.saga;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The DSL runs in any Java service: no Vert.x, nothing of the coordinator (a test-only dependency here). */
class ArchitectureTest {
  static JavaClasses classes;

  @BeforeAll
  static void importClasses() throws Exception {
    Path mainClasses = Path.of(Saga.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    classes = new ClassFileImporter().importPath(mainClasses);
  }

  @Test
  void dependsOnNeitherVertxNorTheCoordinator() {
    noClasses().should().dependOnClassesThat()
        .resideInAnyPackage("io.vertx..", "io.netty..", "io.covenant.coordinator..")
        .check(classes);
  }

  @Test
  void theInternalPackageNeverCallsTheCoordinator() {
    noClasses().that().resideInAPackage("io.covenant.saga.internal..")
        .should().dependOnClassesThat().resideInAnyPackage("io.covenant.client..")
        .check(classes);
  }
}
