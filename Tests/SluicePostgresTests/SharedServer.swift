import Foundation
import SluicePostgresTestSupport
import SluiceTestSupport
@testable import SluicePostgres
#if canImport(Glibc)
import Glibc
#endif

/// The connector tests' server: the process's one shared throwaway cluster.
typealias SharedServer = TestServer

/// A table name unique to this test run.
func uniqueTable(_ prefix: String) -> TableName {
    TableName("\(prefix)_\(UInt32.random(in: 0...UInt32.max))")
}
