import PinCLI

Modelpin.start()
