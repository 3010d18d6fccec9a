;;; eglot_docs.el --- Emacs 28 + eglot 1.9 running the elisp block of docs/editors.md  -*- lexical-binding: t -*-

;;; Commentary:

;; Loads the "Without the helper" block of docs/editors.md exactly as written (the wrapper only points its
;; endpoint at the emulator and puts a `chatls' command on PATH), starts eglot the way M-x eglot does, and
;; uses `my-chatls-chat' as the docs say.  Observes only (see e2e.el).

;;; Code:

(load (expand-file-name "e2e.el" (file-name-directory load-file-name)) nil t)

(defun e2e-transcript ()
  (with-current-buffer (get-buffer-create "*chatls*") (e2e-buffer-text)))

(defun e2e-run ()
  (load (e2e-get :snippet) nil t)
  (find-file (expand-file-name (e2e-get :files :chat)))
  (setq e2e-server (apply #'eglot (eglot--guess-contact)))
  (e2e-observe :initialized (if (jsonrpc-running-p e2e-server) t :json-false))

  (e2e-step :chat
    (my-chatls-chat (e2e-get :chat :prompt))
    (e2e-observe :chat (list :result (list :conversationId my-chatls-conversation)))
    (my-chatls-chat (e2e-get :chat :followUp))
    (e2e-observe :followUp (list :result (list :conversationId my-chatls-conversation))))

  (e2e-step :explainViaMenu
    ;; Explain from eglot's own menu streams into *chatls* through the documented handler.
    (with-current-buffer (e2e-open (e2e-get :files :explain :path))
      (let ((before my-chatls-conversation))
        (e2e-menu (e2e-get :files :explain :range) "chatls.explain")
        (e2e-wait-for (lambda () (string-search (e2e-get :explainReply) (e2e-transcript))))
        (e2e-observe :explainConversationIsNew
                     (if (and my-chatls-conversation (not (equal before my-chatls-conversation))) t :json-false)))))

  (e2e-observe :transcript (e2e-transcript)))

(e2e-step :driver (e2e-run))
(e2e-finish)

;;; eglot_docs.el ends here
