"""nnc: compile, run, differentiate and train neural networks on CPUs.

The functions and the Model class are the compiled module `nnc._nnc`;
see docs/python.md.
"""


class History(list):
    """What nnc.train returns: one dict per epoch (epoch, loss, and
    accuracy, eval_loss, eval_accuracy when they exist), with the trained
    parameters by name in `params`."""

    params: dict


import collections.abc

from ._nnc import (Error, Model, Params, __version__, backends, compile, load,
                   train)

# model.params behaves as a mapping for isinstance checks and dict(...).
collections.abc.Mapping.register(Params)

__all__ = ["Error", "History", "Model", "Params", "__version__", "backends",
           "compile", "load", "train"]
