import Foundation
import SluiceFrame
import SluicePipeline

/// Crafted state never traps: every array in a fitted stage's state (or a whole pipeline
/// artifact's header) is in turn shortened by one, emptied and given a repeated first
/// element, and every number made NaN; each variant must be refused with an error
/// (an ``ArtifactError`` for artifacts) or load and then transform or score without a trap.
/// A trap fails by ending the test process.
public struct CraftedState: StageVerifier, LearnerVerifier {
    public let name = "crafted state"
    /// At most this many variants per example.
    public let limit: Int
    public init(limit: Int = 400) { self.limit = limit }

    public func verify(_ e: StageExample, into findings: inout Findings) throws {
        let fitted = try Support.fit(e)
        let (data, archive) = try Support.encode(fitted)
        let tree = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        for (path, variant) in Self.variants(of: tree, under: ["state"]).prefix(limit) {
            let crafted = try JSONSerialization.data(withJSONObject: variant, options: [.sortedKeys, .fragmentsAllowed])
            guard let stage = try? Support.decode(crafted, archive, codec: e.codec) else { continue }
            _ = try? stage.transform(e.frame)
            _ = path
        }
    }

    public func verify(_ e: LearnerExample, into findings: inout Findings) throws {
        let bytes = try Artifact.encode(e.fit(e.frame), key: nil)
        let craft = try ArtifactCraft(bytes)
        guard let header = try craft.value(at: "pipeline") else { return }
        let tree = try JSONSerialization.jsonObject(with: JSONEncoder().encode(header), options: [.fragmentsAllowed])
        for (path, variant) in Self.variants(of: tree, under: []).prefix(limit) {
            var c = craft
            try c.set("pipeline", to: ArtifactCraft.jsonValue(variant))
            do {
                let loaded = try Artifact.decode(c.bytes(), path: "crafted", codec: e.codec, key: nil)
                _ = try? loaded.score(e.frame)
            } catch is ArtifactError {
            } catch {
                findings.expect(false, name, e.label, "pipeline.\(path): refused with \(type(of: error)), not an ArtifactError")
            }
        }
    }

    /// Every single-edit variant of `tree`, restricted to paths starting with `prefix`.
    static func variants(of tree: Any, under prefix: [String]) -> [(String, Any)] {
        var out = [(String, Any)]()
        func walk(_ v: Any, _ path: [ArtifactCraft.Key]) {
            let here = path.map { k -> String in
                switch k { case .name(let n): return n; case .index(let i): return String(i) }
            }
            let inScope = here.starts(with: prefix) || prefix.starts(with: here)
            guard inScope else { return }
            if let a = v as? [Any] {
                if here.starts(with: prefix), !a.isEmpty {
                    for edited in [Array(a.dropLast()), [], [a[0]] + a] {
                        if let t = try? ArtifactCraft.put(tree, path[...], edited, path: "") { out.append((here.joined(separator: "."), t)) }
                    }
                }
                for (i, x) in a.enumerated() { walk(x, path + [.index(i)]) }
            } else if let o = v as? [String: Any] {
                for (k, x) in o.sorted(by: { $0.key < $1.key }) { walk(x, path + [.name(k)]) }
            } else if v is NSNumber, !(v is Bool), here.starts(with: prefix) {
                if let t = try? ArtifactCraft.put(tree, path[...], "nan", path: "") { out.append((here.joined(separator: "."), t)) }
            }
        }
        walk(tree, [])
        return out
    }
}
