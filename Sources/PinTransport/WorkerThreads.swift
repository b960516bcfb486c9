import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(index)` on `count` threads of their own and waits for them all.
///
/// Transfers block in libcurl for their whole life, so they get real threads, never the
/// cooperative pool (which has one thread per core and must not block). Shared by the
/// download engine (PinWorkspace) and the multipart uploader (PinS3).
public func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Box: @unchecked Sendable {
        // @unchecked: created before the thread starts, read by it alone.
        let index: Int
        let body: @Sendable (Int) -> Void
        let done: DispatchGroup
        init(_ index: Int, _ body: @escaping @Sendable (Int) -> Void, _ done: DispatchGroup) {
            self.index = index
            self.body = body
            self.done = done
        }
    }
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let box = Unmanaged.passRetained(Box(index, body, group)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.body(box.index)
            box.done.leave()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(thread)
    }
    group.wait()
}
