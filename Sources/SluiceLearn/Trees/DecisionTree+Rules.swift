import Foundation
import SluicePipeline

extension DecisionTree {
    /// The tree as if-then rules, one line per leaf, left before right, each condition with the
    /// feature's name and threshold (`%.6g`), and where a missing value goes:
    /// `if tenure <= 12.5 (or missing) and plan > 1.5 then churned = yes (p 0.83) [120 rows]`;
    /// a categorical split reads `colour in {red, blue}` left and `colour not in {red, blue}`
    /// right (categories by name from `categorical`, else by code).
    /// `outcome` names a leaf's prediction from its values (class and probability, or value).
    func rules(featureNames: [String], categorical: [CategoricalFeature] = [], outcome: ([Double]) -> String) -> [String] {
        var lines = [String]()
        func name(_ f: Int) -> String { f < featureNames.count ? featureNames[f] : "x\(f)" }
        let names = Dictionary(categorical.map { ($0.index, $0.categories) }, uniquingKeysWith: { a, _ in a })
        func set(_ f: Int, _ codes: [Int]) -> String {
            // Codes past the training categories (in the set when missing values go left) are not named.
            let known = names[f].map { k in codes.filter { $0 < k.count } } ?? codes
            let labels = known.map { c in names[f].map { $0[c] } ?? String(c) }
            return "{" + labels.joined(separator: ", ") + "}"
        }
        guard (try? validate(kind: "tree")) != nil else { return lines }
        var stack: [(Int, [String])] = [(0, [])]  // explicit stack: no recursion on a deep tree
        while let (node, conditions) = stack.popLast() {
            let f = Int(feature[node])
            if f < 0 {
                let v = Array(values[node * outputCount..<(node + 1) * outputCount])
                let premise = conditions.isEmpty ? "always" : "if " + conditions.joined(separator: " and ")
                lines.append("\(premise) then \(outcome(v)) [\(samples[node]) rows]")
                continue
            }
            let m = missingGoesLeft[node]
            if let codes = categories(node) {
                let s = set(f, codes)
                stack.append((Int(right[node]), conditions + ["\(name(f)) not in \(s)\(m ? "" : " (or missing)")"]))
                stack.append((Int(left[node]), conditions + ["\(name(f)) in \(s)\(m ? " (or missing)" : "")"]))
                continue
            }
            let t = String(format: "%.6g", threshold[node])
            stack.append((Int(right[node]), conditions + ["\(name(f)) > \(t)\(m ? "" : " (or missing)")"]))
            stack.append((Int(left[node]), conditions + ["\(name(f)) <= \(t)\(m ? " (or missing)" : "")"]))
        }
        return lines
    }
}

extension DecisionTreeClassifier.Model {
    /// The tree as readable if-then rules, one per leaf: the conditions from the root, then
    /// the most probable class and its probability, and the leaf's training rows.
    public func rules(target: String = "class") -> [String] {
        tree.rules(featureNames: featureNames, categorical: categorical) { v in
            let best = v.indices.max { v[$0] < v[$1] } ?? 0
            return "\(target) = \(best < classes.count ? classes[best] : "?") (p \(String(format: "%.3g", v[best])))"
        }
    }
}

extension DecisionTreeRegressor.Model {
    /// The tree as readable if-then rules, one per leaf, ending in the leaf's prediction.
    public func rules(target: String = "value") -> [String] {
        tree.rules(featureNames: featureNames, categorical: categorical) { v in "\(target) = \(String(format: "%.6g", v.first ?? .nan))" }
    }
}
