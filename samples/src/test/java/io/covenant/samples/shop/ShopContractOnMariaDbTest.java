package io.covenant.samples.shop;

import io.covenant.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeAll;

/** {@link ShopContractTest} with each service's tables in a database of its own of the real MariaDB (or MySQL). */
class ShopContractOnMariaDbTest extends ShopContractTest {
  @BeforeAll
  static void startOnMariaDb() throws Exception {
    start(TestDatabase.Kind.MYSQL);
  }
}
