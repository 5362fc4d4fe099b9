// The text classifier example: Embedding + LSTM + Dense on a small generated review dataset.
//
//   swift run -c release text-classifier [--reviews N] [--epochs E] [--seed S]
//
// Generates short reviews from a seeded generator: neutral filler words with a few
// sentiment words, where "not" flips the word after it. A review is positive when its
// flipped sentiment adds up above zero, so word order matters and a bag of words is not
// enough. The example builds a vocabulary, turns each review into 16 token indices (0 pads),
// and trains a pipeline whose learner is Embedding(vocabulary, 16) → LSTM(32) → Dense(2).
import Foundation
import Sluice

@main
struct TextClassifier {
    static let positive = ["good", "great", "excellent", "lovely", "fine", "superb"]
    static let negative = ["bad", "awful", "poor", "terrible", "dull", "broken"]
    static let filler = ["the", "a", "movie", "plot", "acting", "was", "and", "it", "really", "quite", "story", "end"]
    static let length = 16

    /// One review and its label, drawn from `rng`.
    static func review(_ rng: inout SeededGenerator) -> ([String], String) {
        var words = [String](), score = 0
        while words.count < length - 1 {
            let u = rng.nextDouble()
            if u < 0.12, words.count < length - 2 {
                let positiveWord = rng.nextInt(below: 2) == 0
                let word = positiveWord ? positive[rng.nextInt(below: positive.count)] : negative[rng.nextInt(below: negative.count)]
                let negated = rng.nextDouble() < 0.3
                if negated { words.append("not") }
                words.append(word)
                score += (positiveWord ? 1 : -1) * (negated ? -1 : 1)
            } else {
                words.append(filler[rng.nextInt(below: filler.count)])
            }
        }
        if score == 0 {  // break ties with one more sentiment word
            let positiveWord = rng.nextInt(below: 2) == 0
            words.append(positiveWord ? positive[0] : negative[0])
            score = positiveWord ? 1 : -1
        }
        return (words, score > 0 ? "positive" : "negative")
    }

    static func main() throws {
        let arguments = CommandLine.arguments
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
            return v
        }
        let count = option("--reviews", 4000), epochs = option("--epochs", 12), seed = UInt64(option("--seed", 1))
        var rng = SeededGenerator(seed: seed)
        let reviews = (0..<count).map { _ in review(&rng) }
        let vocabulary = ["<pad>"] + (filler + ["not"] + positive + negative)
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Double($0)) })
        var columns = (0..<length).map { position in
            ("t\(position)", Column.double(reviews.map { r in position < r.0.count ? index[r.0[position]] ?? 0 : 0 }))
        }
        columns.append(("sentiment", Column.string(reviews.map { $0.1 })))
        let frame = try Frame(named: columns)
        print("review: \(reviews[0].0.joined(separator: " ")) → \(reviews[0].1)")

        let labels = try ClassLabels(column: frame.column("sentiment"), name: "sentiment")
        let split = try Splitter.trainTest(rows: frame.rowCount, testFraction: 0.25, stratifyBy: labels, using: &rng)
        let train = try frame.taking(rows: split.train), test = try frame.taking(rows: split.test)
        let learner = NeuralClassifier(training: TrainingOptions(epochs: epochs, batchSize: 32, optimizer: .adam(learningRate: 5e-3),
                                                                 gradientClipNorm: 1)) {
            Embedding(vocabularySize: vocabulary.count, dimension: 16)
            LSTM(32)
            Dense(2)
        }
        let started = Date()
        let fitted = try Pipeline(target: "sentiment", estimator: learner).fit(train, seed: seed, observer: { p in
            print(String(format: "epoch %2d  loss %.4f  accuracy %.4f", p.step, p.metrics["loss"] ?? .nan, p.metrics["accuracy"] ?? .nan))
        })
        print(String(format: "trained in %.1f s on %d reviews", Date().timeIntervalSince(started), train.rowCount))
        let predicted = try fitted.predict(test)
        let truth = try ClassLabels(column: test.column("sentiment"), name: "sentiment")
        let classes = predicted.classes ?? []
        let correct = zip(predicted.codes ?? [], truth.codes).filter { classes[$0.0] == truth.classes[$0.1] }.count
        print(String(format: "test accuracy %.4f on %d reviews", Double(correct) / Double(test.rowCount), test.rowCount))
    }
}
