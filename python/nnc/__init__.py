"""nnc: compile, run, differentiate and train neural networks on CPUs.

The functions and the Model class are the compiled module `nnc._nnc`;
see docs/python.md.
"""


class History(list):
    """What nnc.train returns: one dict per epoch (epoch, loss, and
    accuracy, eval_loss, eval_accuracy when they exist), with the trained
    parameters by name in `params`."""

    params: dict


from ._nnc import Error, Model, __version__, backends, compile, load, train

__all__ = ["Error", "History", "Model", "__version__", "backends", "compile",
           "load", "train"]
