import Foundation
import PinTestSupport
import Testing

extension HostileCases {
    static let paths: [HostileCase] = []
}
