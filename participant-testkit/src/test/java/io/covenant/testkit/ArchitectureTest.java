package io.covenant.testkit;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kit checks participants written with anything: it speaks HTTP through the JDK and never
 * leans on Covenant's own client, coordinator or Vert.x (tx-client is a test-only dependency here,
 * for the participants the kit's tests check).
 */
class ArchitectureTest {
  static JavaClasses classes;

  @BeforeAll
  static void importClasses() throws Exception {
    Path mainClasses = Path.of(ParticipantContractExtension.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    classes = new ClassFileImporter().importPath(mainClasses);
  }

  @Test
  void dependsOnNeitherTheClientNorTheCoordinatorNorVertx() {
    noClasses().should().dependOnClassesThat()
        .resideInAnyPackage("io.covenant.client..", "io.covenant.coordinator..", "io.vertx..", "io.netty..")
        .check(classes);
  }

  @Test
  void theInternalPackageDependsOnTheApiOnlyForWhatItReports() {
    noClasses().that().resideInAPackage("io.covenant.testkit.internal..")
        .should().dependOnClassesThat().haveSimpleName("ParticipantContractExtension")
        .check(classes);
  }
}
